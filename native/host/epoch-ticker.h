/*
 * The epoch ticker: a thread that advances the engine's epoch every
 * millisecond while a plugin call is armed, so an epoch deadline of N
 * ticks interrupts a call after about N ms.
 */
#ifndef EDGECAM_EPOCH_TICKER_H
#define EDGECAM_EPOCH_TICKER_H

#include <pthread.h>
#include <stdbool.h>

#include <wasmtime.h>

typedef struct epoch_ticker {
  const wasm_engine_t *engine; /* borrowed; outlives the ticker */
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  bool armed;    /* a call is running: tick */
  bool stopping; /* the thread should exit */
  bool started;
} epoch_ticker;

/*
 * Starts the ticker thread for `engine`, disarmed. Returns 0, or -errno
 * if the thread cannot start. The engine must outlive the ticker.
 */
int epoch_ticker_start(epoch_ticker *ticker, const wasm_engine_t *engine);

/*
 * Arms the ticker before wasm runs and disarms it after, from the thread
 * that calls into wasm. Rule: idle hosts do not tick. Reason: N hosts
 * waking 1000 times a second each cost an edge device power for nothing.
 */
void epoch_ticker_arm(epoch_ticker *ticker);
void epoch_ticker_disarm(epoch_ticker *ticker);

/* Stops and joins the thread. Safe on a ticker that never started. */
void epoch_ticker_stop(epoch_ticker *ticker);

#endif /* EDGECAM_EPOCH_TICKER_H */
