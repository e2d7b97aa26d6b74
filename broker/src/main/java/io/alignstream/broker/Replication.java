package io.alignstream.broker;

/**
 * How many copies Kafka keeps of each partition ({@code factor}) and how many of them must have a
 * write before an {@code acks=all} producer (every alignstream producer) is told it succeeded
 * ({@code minInsync}). One rule for the run's topics and for the cluster's internal topics.
 *
 * @param factor replicas of each partition, at least 1
 * @param minInsync {@code min.insync.replicas}, in [1, factor]
 */
public record Replication(int factor, int minInsync) {
  /** More copies than this only cost disk and network: three survive any one failure during maintenance. */
  public static final int MAX_DEFAULT_FACTOR = 3;

  public Replication {
    if (factor < 1 || factor > Short.MAX_VALUE) {
      throw new IllegalArgumentException("replication factor must be at least 1, got " + factor);
    }
    if (minInsync < 1 || minInsync > factor) {
      throw new IllegalArgumentException("min.insync.replicas must be in [1, " + factor + "] for replication factor "
          + factor + ", got " + minInsync);
    }
  }

  /**
   * {@code factor} copies, of which all but one must have each write. With three copies a write is
   * acknowledged only once it is on two brokers, so losing any single broker loses nothing, and the
   * remaining two still accept writes; requiring all three would stop every transactional producer
   * (and so the whole pipeline) as soon as one broker is down, and requiring one would let a
   * broker's crash lose writes it alone had acknowledged. One copy can only require itself.
   */
  public static Replication of(int factor) {
    return new Replication(factor, factor > 1 ? factor - 1 : 1);
  }

  /** What a cluster of {@code brokers} can give: a copy per broker, capped at {@link #MAX_DEFAULT_FACTOR}. */
  public static Replication forCluster(int brokers) {
    if (brokers < 1) {
      throw new IllegalArgumentException("a cluster has at least one broker, got " + brokers);
    }
    return of(Math.min(brokers, MAX_DEFAULT_FACTOR));
  }
}
