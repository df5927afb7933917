import { damaged } from './integrity';
import { lineHash, readTail, type TailRead } from './journal';
import { LEGACY_FORMAT, parseJournalHeader, parseTransaction, RecordFormatError } from './records';
import type { SecretIndex } from './secret-index';

/** What reading more of a journal found. */
export type ReadOutcome = 'read' | 'missing' | 'shrunk';

/**
 * Follows one journal file: applies each complete line once, checks the header, the hash chain
 * and, against a manifest, that every acknowledged byte is still there and unchanged. Lines after
 * the acknowledged length are applied too (a writer may have committed them a moment ago, or
 * crashed between its journal fsync and its manifest write); an incomplete or checksum-failing
 * last line after it is a torn write that was never acknowledged and is ignored.
 */
export class JournalReader {
  readonly file: string;
  readonly generation: number;
  /** End of the last valid line read; 0 before the header. */
  offset = 0;
  /** File size when last read; undefined when the file did not exist. */
  size: number | undefined;
  /** Hash of the last line read: the `prev` of the next record. */
  lastHash: string | undefined;
  format: number | undefined;
  /** True once a record carried a `prev` hash, i.e. this journal was written with a manifest. */
  chained = false;
  /** Acknowledged length already checked against a manifest. */
  #verifiedLength = 0;
  /** End offset → hash of lines read past `#verifiedLength`, to check the next manifest against. */
  readonly #unverified = new Map<number, string>();

  constructor(file: string, generation: number) {
    this.file = file;
    this.generation = generation;
  }

  /** A reader positioned after a header line just written. */
  static afterHeader(file: string, generation: number, header: Buffer, format: number): JournalReader {
    const reader = new JournalReader(file, generation);
    reader.offset = reader.size = reader.#verifiedLength = header.length;
    reader.lastHash = lineHash(header);
    reader.format = format;
    return reader;
  }

  /** Reads and applies what was appended since the last call. */
  readMore(index: SecretIndex): ReadOutcome {
    const tail = readTail(this.file, this.offset);
    if (tail === undefined) return 'missing';
    if (tail.size < this.offset) return 'shrunk';
    this.consume(tail, index);
    return 'read';
  }

  /** Applies the complete valid lines of `tail`; throws on anything a crash cannot explain. */
  consume(tail: TailRead, index: SecretIndex): void {
    for (const line of tail.lines) {
      try {
        if (line.start === 0) {
          const header = parseJournalHeader(line.value);
          if (header.generation !== this.generation) {
            throw damaged(this.file, `says it is generation ${header.generation}, not ${this.generation}`);
          }
          this.format = header.format;
        } else {
          const tx = parseTransaction(line.value);
          if (tx.prev !== undefined) this.chained = true;
          if (tx.prev !== undefined ? tx.prev !== this.lastHash : this.format !== LEGACY_FORMAT) {
            throw damaged(
              this.file,
              `has a record at byte ${line.start} that does not follow the one before it (a record was removed, reordered or replaced)`,
            );
          }
          index.apply(tx.ops);
        }
      } catch (error) {
        if (error instanceof RecordFormatError) throw damaged(this.file, `cannot be read at byte ${line.start}: ${error.message}`);
        throw error;
      }
      this.lastHash = line.hash;
      this.offset = line.end;
      if (line.end > this.#verifiedLength) this.#unverified.set(line.end, line.hash);
    }
    this.size = tail.size;
    if (tail.damagedInMiddle) {
      throw damaged(this.file, `is damaged at byte ${tail.validEnd}, with valid records after the damage`);
    }
  }

  /** Checks that the manifest's acknowledged length ends a line we read, with the hash it names. */
  verifyAcknowledged(length: number, last: string): void {
    if (length === this.#verifiedLength) return;
    if (length > this.offset) {
      throw damaged(
        this.file,
        `is missing acknowledged records: the manifest says ${length} bytes were committed, but only the first ${this.offset} are intact (truncated, emptied or damaged)`,
      );
    }
    const hash = this.#unverified.get(length);
    if (hash === undefined || hash !== last) {
      if (length < this.#verifiedLength) return; // An older manifest: everything it names was already checked.
      throw damaged(this.file, `does not match the manifest at byte ${length}: it was replaced or rolled back`);
    }
    for (const end of this.#unverified.keys()) if (end <= length) this.#unverified.delete(end);
    this.#verifiedLength = length;
  }

  /** Records a line this process just appended and made durable. */
  appended(line: Buffer): void {
    this.offset += line.length;
    this.size = this.offset;
    this.lastHash = lineHash(line);
    this.#unverified.set(this.offset, this.lastHash);
  }

  /** After a torn tail was cut off. */
  truncated(): void {
    this.size = this.offset;
  }
}
