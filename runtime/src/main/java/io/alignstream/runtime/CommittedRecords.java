package io.alignstream.runtime;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;

/**
 * A consumer group's progress on one partition, in records, as its committed offset's metadata
 * carries it: {@code records=N;aside=M} ({@code ;aside=M} left out when M is 0). Offsets are not a
 * count: transaction markers and aborted records take offsets too, and a topic written in many
 * transactions has many of them.
 *
 * @param records records the group has committed below the offset
 * @param aside of those, how many were set aside (dead-lettered) rather than processed
 */
public record CommittedRecords(long records, long aside) {
  public static final CommittedRecords NONE = new CommittedRecords(0, 0);
  private static final String RECORDS_PREFIX = "records=";
  private static final String ASIDE_PREFIX = ";aside=";

  /**
   * What a committed offset says, or {@link #NONE} for none. An offset committed without the count
   * (another client, an older version) reads as its offset in records, which over-counts by the
   * markers and aborted records before it, and none set aside.
   */
  public static CommittedRecords of(OffsetAndMetadata committed) {
    if (committed == null) {
      return NONE;
    }
    String m = committed.metadata();
    if (m == null || !m.startsWith(RECORDS_PREFIX)) {
      return new CommittedRecords(committed.offset(), 0);
    }
    int end = m.indexOf(';');
    long records = parse(m.substring(RECORDS_PREFIX.length(), end < 0 ? m.length() : end), committed.offset());
    int at = m.indexOf(ASIDE_PREFIX);
    return new CommittedRecords(records, at < 0 ? 0 : parse(m.substring(at + ASIDE_PREFIX.length()), 0));
  }

  private static long parse(String number, long otherwise) {
    try {
      return Long.parseLong(number);
    } catch (NumberFormatException e) {
      return otherwise; // not ours after all
    }
  }

  /** The records processed: committed less set aside. */
  public long processed() {
    return records - aside;
  }

  /** These counts with {@code more} records, {@code moreAside} of them set aside, added. */
  public CommittedRecords plus(long more, long moreAside) {
    return new CommittedRecords(records + more, aside + moreAside);
  }

  /** The offset to commit with these counts as its metadata. */
  public OffsetAndMetadata at(long offset) {
    return new OffsetAndMetadata(offset, RECORDS_PREFIX + records + (aside > 0 ? ASIDE_PREFIX + aside : ""));
  }
}
