// Tests that need io_uring skip, with the reason printed, on a kernel or
// sandbox that refuses it; they never pass silently.

import fs from 'node:fs';
import { createRequire } from 'node:module';

import { ADDON_PATH } from '../../core/paths.js';

let reason: string | false | undefined;

export function uringSkipReason(): string | false {
  if (reason !== undefined) return reason;
  if (!fs.existsSync(ADDON_PATH)) {
    reason = false; // Not a kernel problem: let the tests fail and say the addon is missing.
    return reason;
  }
  const probe = createRequire(import.meta.url)(ADDON_PATH).probeUring() as {
    ok: boolean;
    message: string;
  };
  reason = probe.ok ? false : `io_uring unavailable: ${probe.message}`;
  if (reason) console.warn(`skipping io_uring tests: ${reason}`);
  return reason;
}
