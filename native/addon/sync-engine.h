/*
 * The synchronous engine: the same batches, results and counters as the
 * ring, done with plain open/read/pwrite/close/rename on the same kind of
 * dedicated I/O thread, one tile after another. It is the baseline the ring
 * is measured against, and the fallback where io_uring is unavailable.
 * submissions, enters and completions stay 0.
 */
#ifndef EDGECAM_SYNC_ENGINE_H
#define EDGECAM_SYNC_ENGINE_H

#include "io-engine.h"

class SyncEngine : public IoEngine {
public:
  SyncEngine(SlotPool &pool, EngineStats &stats);
  ~SyncEngine() override;

private:
  Failure Setup() override;
  void Run() override;
  void Teardown() override {}

  void ReadTile(const TileRequest &request, TileResult *result);
  void WriteTile(const TileRequest &request, TileResult *result);
  Failure WriteTemp(const TileRequest &request, const std::string &temp);
};

#endif /* EDGECAM_SYNC_ENGINE_H */
