/*
 * Reading and writing fixed-size records on the daemon's socket.
 */
#include "channel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void channel_init(channel *ch, int fd) {
  ch->fd = fd;
  ch->used = 0;
  ch->queued = 0;
}

int channel_has_message(const channel *ch) {
  return ch->used >= EDGECAM_MSG_SIZE;
}

int channel_fd_is_open(int fd) {
  return fcntl(fd, F_GETFD) != -1;
}

int channel_read(channel *ch, uint8_t msg[EDGECAM_MSG_SIZE]) {
  while (ch->used < EDGECAM_MSG_SIZE) {
    ssize_t n =
        read(ch->fd, ch->buffer + ch->used, sizeof ch->buffer - ch->used);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    if (n == 0)
      return 0;
    ch->used += (size_t)n;
  }

  memcpy(msg, ch->buffer, EDGECAM_MSG_SIZE);
  ch->used -= EDGECAM_MSG_SIZE;
  memmove(ch->buffer, ch->buffer + EDGECAM_MSG_SIZE, ch->used);
  return 1;
}

static int write_all(int fd, const uint8_t *bytes, size_t left) {
  while (left > 0) {
    ssize_t n = write(fd, bytes, left);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    bytes += n;
    left -= (size_t)n;
  }
  return 0;
}

int channel_flush(channel *ch) {
  size_t bytes = ch->queued * EDGECAM_MSG_SIZE;

  ch->queued = 0;
  return write_all(ch->fd, ch->out, bytes);
}

int channel_queue(channel *ch, const void *msg) {
  int rc;

  if (ch->queued == CHANNEL_QUEUE && (rc = channel_flush(ch)) != 0)
    return rc;
  memcpy(ch->out + ch->queued * EDGECAM_MSG_SIZE, msg, EDGECAM_MSG_SIZE);
  ch->queued++;
  return 0;
}

int channel_write(channel *ch, const void *msg) {
  int rc = channel_flush(ch);

  if (rc != 0)
    return rc;
  return write_all(ch->fd, msg, EDGECAM_MSG_SIZE);
}

int channel_send_fatal(channel *ch, const char *text) {
  edgecam_msg_fatal msg;

  memset(&msg, 0, sizeof msg);
  msg.type = EDGECAM_MSG_FATAL;
  snprintf(msg.text, sizeof msg.text, "%s", text);
  return channel_write(ch, &msg);
}
