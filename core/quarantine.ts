// Tiles that cannot be processed go to the quarantine folder: a copy of the
// tile as it was fed, and NAME.json saying why, attempt by attempt. Nothing
// is dropped without such a record.

import fs from 'node:fs';
import path from 'node:path';

import type { AttemptRecord } from './tile.js';

export interface QuarantineRecord {
  tile: string;
  source: string;
  reason: string;
  attempts: AttemptRecord[];
  quarantinedAt: string;
  copied: boolean;
}

export async function quarantineTile(
  dir: string,
  source: string,
  attempts: AttemptRecord[],
): Promise<QuarantineRecord> {
  const name = path.basename(source);
  // Private: a copy is whatever the fed file held, and a fed link can point anywhere.
  await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });

  // The source may be gone (that can be the reason); the record still says why.
  let copied = true;
  try {
    await fs.promises.copyFile(source, path.join(dir, name));
  } catch {
    copied = false;
  }

  const last = attempts[attempts.length - 1];
  const record: QuarantineRecord = {
    tile: name,
    source,
    reason: last ? `${last.cause}: ${last.message}` : 'unknown',
    attempts,
    quarantinedAt: new Date().toISOString(),
    copied,
  };
  const json = path.join(dir, `${name}.json`);
  await fs.promises.writeFile(`${json}.tmp`, JSON.stringify(record, null, 2) + '\n');
  await fs.promises.rename(`${json}.tmp`, json);
  return record;
}

export async function listQuarantine(dir: string): Promise<QuarantineRecord[]> {
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return [];
  }
  const records: QuarantineRecord[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    try {
      records.push(JSON.parse(await fs.promises.readFile(path.join(dir, name), 'utf8')));
    } catch {
      continue;
    }
  }
  return records;
}
