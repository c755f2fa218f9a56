/*
 * The message channel to the daemon on fd 3: fixed 128-byte records
 * (protocol.h) over a UNIX stream socket. A stream has no record
 * boundaries, so reads are reassembled here: one read may carry part of
 * a record, or several.
 */
#ifndef EDGECAM_CHANNEL_H
#define EDGECAM_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

#define CHANNEL_FD 3

#define CHANNEL_QUEUE 16

typedef struct channel {
  int fd;
  size_t used; /* bytes buffered, not yet returned */
  uint8_t buffer[EDGECAM_MSG_SIZE * 32];
  size_t queued; /* messages in `out`, not yet written */
  uint8_t out[EDGECAM_MSG_SIZE * CHANNEL_QUEUE];
} channel;

/* Starts reading `fd`; does not take ownership of it. */
void channel_init(channel *ch, int fd);

/* True when fd is open (the daemon passed something on it). */
int channel_fd_is_open(int fd);

/*
 * Returns the next whole message in `msg`: 1 when one was read, 0 at end
 * of stream (a partial record left at the end is dropped), -errno on a
 * read error. Blocks until a whole record arrives.
 */
int channel_read(channel *ch, uint8_t msg[EDGECAM_MSG_SIZE]);

/*
 * Writes one whole message, after any queued ones, retrying short writes
 * and EINTR. Returns 0 or -errno (-EPIPE when the daemon has gone; SIGPIPE
 * must be ignored).
 */
int channel_write(channel *ch, const void *msg);

/*
 * Queues one message to go out with the next flush, so several answers
 * cost one write; flushes first when the queue is full. Returns 0 or
 * -errno like channel_write.
 */
int channel_queue(channel *ch, const void *msg);

/* Writes every queued message. Returns 0 or -errno like channel_write. */
int channel_flush(channel *ch);

/* True when a whole message is already buffered: the next read won't block. */
int channel_has_message(const channel *ch);

/* Sends a FATAL message with `text` (cut to fit). Returns channel_write's
 * result. */
int channel_send_fatal(channel *ch, const char *text);

#endif /* EDGECAM_CHANNEL_H */
