package io.alignstream.producer;

import java.util.concurrent.atomic.LongAdder;

/**
 * Running totals of what this process's ingest topology decided, for progress lines and benchmarks.
 * Under exactly-once a task that is retried after a failure processes some records again, so these
 * in-memory figures can over-count then; the per-batch counts on the metrics topic are exact.
 */
public final class IngestCounts {
  private final LongAdder accepted = new LongAdder();
  private final LongAdder duplicates = new LongAdder();
  private final LongAdder rejected = new LongAdder();

  /** A consistent-enough view of the totals. */
  public record Snapshot(long accepted, long duplicates, long rejected) {
    public long total() {
      return accepted + duplicates + rejected;
    }
  }

  void accepted() {
    accepted.increment();
  }

  void duplicate() {
    duplicates.increment();
  }

  void rejected() {
    rejected.increment();
  }

  public Snapshot snapshot() {
    return new Snapshot(accepted.sum(), duplicates.sum(), rejected.sum());
  }
}
