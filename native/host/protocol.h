/*
 * Messages between the daemon and an algorithm host. They travel on the
 * host's fd 3 (a UNIX stream socket); tile bytes never do: they stay in the
 * shared slot pool on fd 4. Every message is EDGECAM_MSG_SIZE bytes, little
 * endian, so the daemon reads them with fixed offsets (core/host-protocol.ts
 * mirrors this file; keep the two in step).
 */
#ifndef EDGECAM_PROTOCOL_H
#define EDGECAM_PROTOCOL_H

#include <stdint.h>

#define EDGECAM_MSG_SIZE 128

enum edgecam_msg_type {
  EDGECAM_MSG_READY = 1, /* host -> daemon: module loaded, instance warm */
  EDGECAM_MSG_RUN = 2,   /* daemon -> host: process one tile in a slot */
  EDGECAM_MSG_DONE = 3,  /* host -> daemon: the tile's outcome */
  EDGECAM_MSG_FATAL = 4, /* host -> daemon: cannot go on; text follows */
};

/* What became of one call of the plugin. */
enum edgecam_outcome {
  EDGECAM_OUTCOME_OK = 0,
  EDGECAM_OUTCOME_TIMEOUT = 1,   /* epoch deadline passed */
  EDGECAM_OUTCOME_MEMORY = 2,    /* the store limiter refused memory */
  EDGECAM_OUTCOME_TRAP = 3,      /* any other trap; detail = trap code */
  EDGECAM_OUTCOME_PLUGIN = 4,    /* process() returned nonzero; detail */
  EDGECAM_OUTCOME_BAD_INPUT = 5, /* the RUN message itself was invalid */
};

typedef struct edgecam_msg_ready {
  uint32_t type; /* EDGECAM_MSG_READY */
  uint32_t pid;
  uint32_t from_cache; /* 1 if the module was deserialized */
  uint32_t load_us;    /* load and instantiate time */
  uint8_t pad[EDGECAM_MSG_SIZE - 16];
} edgecam_msg_ready;

typedef struct edgecam_msg_run {
  uint32_t type; /* EDGECAM_MSG_RUN */
  uint32_t slot;
  uint32_t tile_id; /* echoed in DONE */
  uint32_t offset;  /* first pixel byte within the slot */
  uint32_t length;  /* pixel bytes */
  uint32_t width;
  uint32_t height;
  uint32_t channels;
  uint32_t stride;
  uint32_t tile_x;
  uint32_t tile_y;
  uint32_t argc;
  double argv[8];
  uint8_t pad[EDGECAM_MSG_SIZE - 48 - 64];
} edgecam_msg_run;

typedef struct edgecam_msg_done {
  uint32_t type; /* EDGECAM_MSG_DONE */
  uint32_t slot;
  uint32_t tile_id;
  int32_t outcome; /* enum edgecam_outcome */
  int32_t detail;  /* return code, or wasmtime_trap_code_t */
  uint32_t exec_us;
  uint32_t memory_bytes; /* linear memory size after the call */
  uint32_t renewals;     /* instances renewed since the host started */
  uint8_t pad[EDGECAM_MSG_SIZE - 32];
} edgecam_msg_done;

typedef struct edgecam_msg_fatal {
  uint32_t type;                   /* EDGECAM_MSG_FATAL */
  uint32_t code;                   /* 0 for now */
  char text[EDGECAM_MSG_SIZE - 8]; /* NUL-terminated */
} edgecam_msg_fatal;

_Static_assert(sizeof(edgecam_msg_ready) == EDGECAM_MSG_SIZE, "ready");
_Static_assert(sizeof(edgecam_msg_run) == EDGECAM_MSG_SIZE, "run");
_Static_assert(sizeof(edgecam_msg_done) == EDGECAM_MSG_SIZE, "done");
_Static_assert(sizeof(edgecam_msg_fatal) == EDGECAM_MSG_SIZE, "fatal");

#endif /* EDGECAM_PROTOCOL_H */
