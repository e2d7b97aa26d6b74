package io.alignstream.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exactly-once consume-transform-produce over a consumer group: poll, transform a batch, then in one
 * producer transaction send the outputs and the batch's consumed offsets
 * ({@code sendOffsetsToTransaction(offsets, consumer.groupMetadata())}) and commit.
 *
 * <p>Contract:
 * <ul>
 *   <li>The {@link Processor} runs <em>before</em> the transaction begins, so slow work (generation,
 *       scoring) does not hold a transaction open and {@code transaction.timeout.ms} can stay short.</li>
 *   <li>Any failure of a batch (processor, send, offsets, commit) aborts the transaction and rewinds the
 *       consumer to the group's committed positions, so the batch is redone; outputs of the aborted
 *       attempt are invisible to {@code read_committed} readers. Retries back off up to 10 s.</li>
 *   <li>Fatal producer states (fenced by a newer instance with the same transactional id, or by a
 *       newer group generation, authorization, broken sequence) stop the loop: {@link #run()} throws
 *       {@link FatalException} after closing both clients. A fenced instance is a zombie; its
 *       successor owns the work.</li>
 *   <li>Back-pressure: before each poll the loop asks {@link Processor#capacity()}; at 0 it pauses every
 *       assigned partition and keeps polling (so the member stays in the group) until capacity returns.
 *       When a poll returns more records than the capacity, the rest are handed back (seek) untouched.</li>
 *   <li>{@link #stop()} (any thread) finishes or aborts the current batch, leaves the group and closes
 *       both clients, which this loop owns.</li>
 *   <li>Progress in records: each committed offset carries, as its metadata, how many records the
 *       group has committed on that partition so far, and how many of those the processor set aside,
 *       dead-lettered instead of processed ({@link CommittedRecords}).</li>
 * </ul>
 * The consumer must have {@code enable.auto.commit=false} and {@code isolation.level=read_committed};
 * the producer must be transactional. Clients are used by the {@link #run()} thread only.
 */
public final class TransactionalLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(TransactionalLoop.class);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

  /** The transform step; called on the loop thread only. */
  public interface Processor {
    /**
     * How many records the processor accepts now; 0 pauses consumption. Called before every poll.
     * Default: no limit.
     */
    default int capacity() {
      return Integer.MAX_VALUE;
    }

    /**
     * Transforms one batch (1 to {@link #capacity()} records, partition order preserved) into the
     * records to send in its transaction. Throwing aborts the batch, which is redone later; so
     * corrupt input should be handled here (counted and skipped), not thrown.
     */
    List<ProducerRecord<byte[], byte[]>> process(List<ConsumerRecord<byte[], byte[]>> batch) throws Exception;

    /**
     * How many records of {@code partition} in the batch just {@linkplain #process processed} were set
     * aside (sent to a dead-letter topic, say) rather than turned into work; asked before the commit.
     * Readers of the group's progress subtract them ({@link CommittedRecords#processed}). Default: none.
     */
    default long setAside(TopicPartition partition) {
      return 0;
    }

    /** The batch's outputs and offsets are committed. */
    default void onCommitted(List<ConsumerRecord<byte[], byte[]>> batch, List<ProducerRecord<byte[], byte[]>> sent) {}

    /** The batch was aborted and will be redone. */
    default void onAborted(List<ConsumerRecord<byte[], byte[]>> batch, Exception cause) {}

    /** Consumption was paused (true) or resumed (false) because of {@link #capacity()}. */
    default void onPaused(boolean paused) {}
  }

  /** The producer can no longer be used; the loop stopped. */
  public static final class FatalException extends KafkaException {
    FatalException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final Consumer<byte[], byte[]> consumer;
  private final Producer<byte[], byte[]> producer;
  private final List<String> topics;
  private final Processor processor;
  private final Duration pollTimeout;
  private final CountDownLatch finished = new CountDownLatch(1);
  private final AtomicLong committed = new AtomicLong();
  private final AtomicLong aborted = new AtomicLong();
  private volatile boolean running = true;
  private volatile boolean started;
  private volatile boolean paused;
  private int failuresInARow;
  /** Records the group has committed per partition, as of this loop's last commit or read of it. */
  private final Map<TopicPartition, CommittedRecords> progress = new HashMap<>();

  /**
   * @param consumer a group consumer (not yet subscribed), owned by the loop
   * @param producer a transactional producer (transactions not yet initialised), owned by the loop
   * @param topics topics to subscribe to
   * @param pollTimeout longest a poll blocks; also how fast a paused loop notices new capacity
   */
  public TransactionalLoop(Consumer<byte[], byte[]> consumer, Producer<byte[], byte[]> producer,
      Collection<String> topics, Processor processor, Duration pollTimeout) {
    if (topics.isEmpty()) {
      throw new IllegalArgumentException("TransactionalLoop needs at least one topic to consume");
    }
    this.consumer = consumer;
    this.producer = producer;
    this.topics = List.copyOf(topics);
    this.processor = processor;
    this.pollTimeout = pollTimeout;
  }

  /** Batches committed so far. */
  public long committedBatches() {
    return committed.get();
  }

  /** Batches aborted (and redone) so far. */
  public long abortedBatches() {
    return aborted.get();
  }

  /** Whether consumption is paused for lack of capacity. */
  public boolean paused() {
    return paused;
  }

  @Override
  public void run() {
    try {
      open();
      while (running) {
        step();
      }
    } catch (WakeupException e) {
      if (running) {
        throw e;
      }
    } catch (ProducerFencedException | FencedInstanceIdException | OutOfOrderSequenceException
        | AuthorizationException | UnsupportedVersionException e) {
      log.error("transactional loop over {} stopped, its producer is unusable (fenced by a successor?): {}", topics,
          e.toString());
      throw new FatalException("transactional loop over " + topics + " stopped: " + e, e);
    } finally {
      Transactions.close(consumer, producer);
      finished.countDown();
    }
  }

  /** Initialises transactions (fencing an older instance with the same id) and subscribes; for tests. */
  void open() {
    started = true;
    producer.initTransactions();
    consumer.subscribe(topics, new Rebalance());
  }

  /** One poll and, if it brought records, one transaction; package-private for tests. */
  void step() {
    int capacity = processor.capacity();
    applyPause(capacity <= 0);
    List<ConsumerRecord<byte[], byte[]>> polled = new ArrayList<>();
    consumer.poll(pollTimeout).forEach(polled::add);
    if (polled.isEmpty()) {
      return;
    }
    List<ConsumerRecord<byte[], byte[]>> batch = handBackBeyond(polled, Math.max(0, capacity));
    if (batch.isEmpty()) {
      return;
    }
    boolean inTransaction = false;
    try {
      List<ProducerRecord<byte[], byte[]>> out = processor.process(batch);
      producer.beginTransaction();
      inTransaction = true;
      for (ProducerRecord<byte[], byte[]> record : out) {
        producer.send(record); // a failed send makes commitTransaction throw
      }
      Map<TopicPartition, OffsetAndMetadata> offsets = nextOffsets(batch);
      producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
      producer.commitTransaction();
      inTransaction = false;
      offsets.forEach((tp, o) -> progress.put(tp, CommittedRecords.of(o)));
      committed.incrementAndGet();
      failuresInARow = 0;
      processor.onCommitted(batch, out);
    } catch (ProducerFencedException | FencedInstanceIdException | OutOfOrderSequenceException
        | AuthorizationException | UnsupportedVersionException e) {
      throw e; // cannot abort: the producer is dead
    } catch (WakeupException e) {
      abortQuietly(inTransaction, batch, e);
      throw e;
    } catch (Exception e) {
      abortQuietly(inTransaction, batch, e);
      backOff();
    }
  }

  /** Keeps the first {@code capacity} records and seeks each partition back to its first record not kept. */
  private List<ConsumerRecord<byte[], byte[]>> handBackBeyond(List<ConsumerRecord<byte[], byte[]>> polled, int capacity) {
    if (polled.size() <= capacity) {
      return polled;
    }
    Map<TopicPartition, Long> rewind = new LinkedHashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : polled.subList(capacity, polled.size())) {
      rewind.putIfAbsent(new TopicPartition(r.topic(), r.partition()), r.offset());
    }
    rewind.forEach(consumer::seek);
    return new ArrayList<>(polled.subList(0, capacity));
  }

  /** The offsets after the batch, each with the partition's committed record count after it as metadata. */
  private Map<TopicPartition, OffsetAndMetadata> nextOffsets(List<ConsumerRecord<byte[], byte[]>> batch) {
    Map<TopicPartition, Long> next = new HashMap<>();
    Map<TopicPartition, Long> records = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : batch) {
      TopicPartition tp = new TopicPartition(r.topic(), r.partition());
      next.merge(tp, r.offset() + 1, Math::max);
      records.merge(tp, 1L, Long::sum);
    }
    Set<TopicPartition> unknown = new HashSet<>(next.keySet());
    unknown.removeAll(progress.keySet());
    if (!unknown.isEmpty()) {
      // Once per partition this member takes over: the previous owner's counts, from the group.
      Map<TopicPartition, OffsetAndMetadata> committedOffsets = consumer.committed(unknown);
      for (TopicPartition tp : unknown) {
        progress.put(tp, CommittedRecords.of(committedOffsets.get(tp)));
      }
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    next.forEach((tp, offset) -> {
      long aside = Math.max(0, Math.min(records.get(tp), processor.setAside(tp)));
      offsets.put(tp, progress.get(tp).plus(records.get(tp), aside).at(offset));
    });
    return offsets;
  }

  private void abortQuietly(boolean inTransaction, List<ConsumerRecord<byte[], byte[]>> batch, Exception cause) {
    aborted.incrementAndGet();
    failuresInARow++;
    log.warn("batch of {} records from {} aborted, will redo it: {}", batch.size(), topics, cause.toString());
    if (inTransaction) {
      try {
        producer.abortTransaction();
      } catch (KafkaException e) {
        throw new FatalException("could not abort the transaction after " + cause + ": " + e, e);
      }
    }
    rewind(batch);
    processor.onAborted(batch, cause);
  }

  /**
   * Seeks every partition of the batch back to the group's committed offset: after an abort the
   * committed offset is where the redo must start. A partition with no committed offset yet goes back
   * to the batch's first record of it. Partitions revoked meanwhile are skipped.
   */
  private void rewind(List<ConsumerRecord<byte[], byte[]>> batch) {
    Map<TopicPartition, Long> first = new LinkedHashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : batch) {
      first.putIfAbsent(new TopicPartition(r.topic(), r.partition()), r.offset());
    }
    Set<TopicPartition> owned = new HashSet<>(first.keySet());
    owned.retainAll(consumer.assignment());
    if (owned.isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> committedOffsets = consumer.committed(owned);
    for (TopicPartition tp : owned) {
      OffsetAndMetadata c = committedOffsets.get(tp);
      consumer.seek(tp, c != null ? c.offset() : first.get(tp));
    }
  }

  private void backOff() {
    long ms = Math.min(MAX_BACKOFF.toMillis(), 100L << Math.min(7, failuresInARow - 1));
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  private void applyPause(boolean hold) {
    Set<TopicPartition> assigned = consumer.assignment();
    if (hold) {
      // Re-applied every poll: partitions assigned by a rebalance while held must be held too.
      Set<TopicPartition> toPause = new HashSet<>(assigned);
      toPause.removeAll(consumer.paused());
      if (!toPause.isEmpty()) {
        consumer.pause(toPause);
      }
    } else if (paused && !consumer.paused().isEmpty()) {
      consumer.resume(consumer.paused());
    }
    if (hold != paused) {
      paused = hold;
      log.info("consumption of {} {}", topics, hold ? "paused (no capacity)" : "resumed");
      processor.onPaused(hold);
    }
  }

  /**
   * Asks the loop to finish: the batch in progress is committed or aborted, then the consumer leaves
   * its group and both clients close. Returns at once; see {@link #awaitStopped}.
   */
  public void stop() {
    running = false;
    consumer.wakeup();
  }

  /** Waits for {@link #run()} to return; true if it did (or never started) within {@code timeout}. */
  public boolean awaitStopped(Duration timeout) throws InterruptedException {
    return !started || finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Closes the clients of a loop that was never run. */
  public void closeUnstarted() {
    if (!started) {
      Transactions.close(consumer, producer);
    }
  }

  /**
   * Nothing is in flight between polls (each batch commits before the next poll), so a revoke needs no
   * flush. Lost partitions (the member was expelled) are revoked too; Kafka calls onPartitionsLost,
   * whose default is onPartitionsRevoked.
   */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      log.debug("revoked {}", partitions);
      progress.keySet().removeAll(partitions); // the next owner advances them; read again if they come back
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      log.info("assigned {}", partitions);
    }
  }
}
