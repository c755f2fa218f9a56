/*
 * The epoch ticker thread. It sleeps on absolute 1 ms steps of the
 * monotonic clock, so a slow wake-up does not stretch later ticks.
 */
#include "epoch-ticker.h"

#include <errno.h>
#include <time.h>

#define TICK_NS 1000000L

static void add_tick(struct timespec *t) {
  t->tv_nsec += TICK_NS;
  if (t->tv_nsec >= 1000000000L) {
    t->tv_nsec -= 1000000000L;
    t->tv_sec++;
  }
}

/* Waits while disarmed; returns false when the ticker is stopping. */
static bool wait_until_armed(epoch_ticker *ticker) {
  bool running;

  pthread_mutex_lock(&ticker->lock);
  while (!ticker->armed && !ticker->stopping)
    pthread_cond_wait(&ticker->wake, &ticker->lock);
  running = !ticker->stopping;
  pthread_mutex_unlock(&ticker->lock);
  return running;
}

static void *run_ticker(void *arg) {
  epoch_ticker *ticker = arg;
  struct timespec next;

  while (wait_until_armed(ticker)) {
    clock_gettime(CLOCK_MONOTONIC, &next);
    /* Tick on a fixed grid for as long as the call stays armed. */
    for (;;) {
      bool armed;

      add_tick(&next);
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) ==
             EINTR)
        ;
      wasmtime_engine_increment_epoch(ticker->engine);

      pthread_mutex_lock(&ticker->lock);
      armed = ticker->armed && !ticker->stopping;
      pthread_mutex_unlock(&ticker->lock);
      if (!armed)
        break;
    }
  }
  return NULL;
}

int epoch_ticker_start(epoch_ticker *ticker, const wasm_engine_t *engine) {
  int rc;

  ticker->engine = engine;
  ticker->armed = false;
  ticker->stopping = false;
  ticker->started = false;
  pthread_mutex_init(&ticker->lock, NULL);
  pthread_cond_init(&ticker->wake, NULL);

  rc = pthread_create(&ticker->thread, NULL, run_ticker, ticker);
  if (rc != 0)
    return -rc;
  ticker->started = true;
  return 0;
}

void epoch_ticker_arm(epoch_ticker *ticker) {
  pthread_mutex_lock(&ticker->lock);
  ticker->armed = true;
  pthread_cond_signal(&ticker->wake);
  pthread_mutex_unlock(&ticker->lock);
}

void epoch_ticker_disarm(epoch_ticker *ticker) {
  pthread_mutex_lock(&ticker->lock);
  ticker->armed = false;
  pthread_mutex_unlock(&ticker->lock);
}

void epoch_ticker_stop(epoch_ticker *ticker) {
  if (!ticker->started)
    return;
  pthread_mutex_lock(&ticker->lock);
  ticker->stopping = true;
  pthread_cond_signal(&ticker->wake);
  pthread_mutex_unlock(&ticker->lock);
  pthread_join(ticker->thread, NULL);
  ticker->started = false;
  pthread_mutex_destroy(&ticker->lock);
  pthread_cond_destroy(&ticker->wake);
}
