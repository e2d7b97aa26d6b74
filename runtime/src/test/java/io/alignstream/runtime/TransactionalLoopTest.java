package io.alignstream.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The consume-transform-produce loop against mock clients: commit, abort + rewind, back-pressure, fencing. */
class TransactionalLoopTest {
  private static final String IN = "in";
  private static final TopicPartition P0 = new TopicPartition(IN, 0);
  private static final TopicPartition P1 = new TopicPartition(IN, 1);

  private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  private final List<List<ConsumerRecord<byte[], byte[]>>> processed = new ArrayList<>();
  private final AtomicInteger failuresToInject = new AtomicInteger();
  private final AtomicInteger capacity = new AtomicInteger(Integer.MAX_VALUE);
  private final List<Boolean> pauses = new ArrayList<>();
  private int committedCallbacks;
  private int abortedCallbacks;

  /**
   * Echoes each input value, upper-cased, to topic "out", except values starting with "!", which it sets
   * aside to topic "dead"; fails while failuresToInject > 0.
   */
  private final TransactionalLoop.Processor echo = new TransactionalLoop.Processor() {
    private final Map<TopicPartition, Long> setAside = new java.util.HashMap<>();

    @Override
    public int capacity() {
      return capacity.get();
    }

    @Override
    public List<ProducerRecord<byte[], byte[]>> process(List<ConsumerRecord<byte[], byte[]>> batch) {
      processed.add(batch);
      if (failuresToInject.getAndDecrement() > 0) {
        throw new IllegalStateException("injected failure");
      }
      List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
      setAside.clear();
      for (ConsumerRecord<byte[], byte[]> r : batch) {
        String value = new String(r.value(), StandardCharsets.UTF_8);
        if (value.startsWith("!")) {
          out.add(new ProducerRecord<>("dead", r.key(), r.value()));
          setAside.merge(new TopicPartition(r.topic(), r.partition()), 1L, Long::sum);
        } else {
          out.add(new ProducerRecord<>("out", r.key(), value.toUpperCase().getBytes(StandardCharsets.UTF_8)));
        }
      }
      return out;
    }

    @Override
    public long setAside(TopicPartition partition) {
      return setAside.getOrDefault(partition, 0L);
    }

    @Override
    public void onCommitted(List<ConsumerRecord<byte[], byte[]>> batch, List<ProducerRecord<byte[], byte[]>> sent) {
      committedCallbacks++;
    }

    @Override
    public void onAborted(List<ConsumerRecord<byte[], byte[]>> batch, Exception cause) {
      abortedCallbacks++;
    }

    @Override
    public void onPaused(boolean paused) {
      pauses.add(paused);
    }
  };

  private TransactionalLoop loop;

  @BeforeEach
  void setUp() {
    loop = new TransactionalLoop(consumer, producer, List.of(IN), echo, Duration.ofMillis(10));
    loop.open();
    consumer.rebalance(List.of(P0, P1));
    consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
  }

  private void add(TopicPartition tp, long offset, String value) {
    consumer.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), offset, ("k" + offset).getBytes(StandardCharsets.UTF_8),
        value.getBytes(StandardCharsets.UTF_8)));
  }

  private List<String> sentValues() {
    return producer.history().stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
  }

  @Test
  void commitsOutputsAndNextOffsetsInOneTransaction() {
    // Given records on two partitions
    add(P0, 0, "a");
    add(P0, 1, "b");
    add(P1, 0, "c");

    // When the loop takes one step
    loop.step();

    // Then the outputs and the offsets after the batch are committed together
    assertTrue(producer.transactionCommitted());
    assertFalse(producer.transactionAborted());
    assertEquals(List.of("A", "B", "C"), sentValues().stream().sorted().toList());
    Map<String, Map<TopicPartition, OffsetAndMetadata>> offsets = producer.consumerGroupOffsetsHistory().get(0);
    Map<TopicPartition, OffsetAndMetadata> groupOffsets = offsets.values().iterator().next();
    assertEquals(2L, groupOffsets.get(P0).offset());
    assertEquals(1L, groupOffsets.get(P1).offset());
    assertEquals(1, loop.committedBatches());
    assertEquals(1, committedCallbacks);
  }

  @Test
  void eachCommittedOffsetCarriesTheRecordsCommittedOnItsPartitionNotTheOffset() {
    // Given a partition whose offsets have gaps (transaction markers of the producer upstream take offsets)
    add(P0, 0, "a");
    add(P0, 2, "b"); // offset 1 was a marker
    add(P0, 5, "c"); // 3 and 4: an aborted record and its marker

    // When the loop commits them, then two more
    loop.step();
    add(P0, 7, "d");
    add(P0, 8, "e");
    loop.step();

    // Then the offsets say where to resume and the metadata how many records were done: 3, then 5
    var first = producer.consumerGroupOffsetsHistory().get(0).values().iterator().next().get(P0);
    var second = producer.consumerGroupOffsetsHistory().get(1).values().iterator().next().get(P0);
    assertEquals(6L, first.offset());
    assertEquals(3L, CommittedRecords.of(first).records());
    assertEquals(9L, second.offset());
    assertEquals(5L, CommittedRecords.of(second).records());
  }

  @Test
  void aMemberTakingOverAPartitionContinuesThePreviousOwnersCount() {
    // Given a previous owner that committed 40 records up to offset 57
    consumer.commitSync(Map.of(P1, new OffsetAndMetadata(57, "records=40")));
    consumer.seek(P1, 57);
    add(P1, 57, "x");

    // When this member commits one more
    loop.step();

    // Then the count goes on from 40
    var offset = producer.consumerGroupOffsetsHistory().get(0).values().iterator().next().get(P1);
    assertEquals(41L, CommittedRecords.of(offset).records());
  }

  @Test
  void anAbortedBatchDoesNotCountAndItsRedoCountsOnce() {
    add(P0, 0, "a");
    add(P0, 1, "b");
    failuresToInject.set(1);
    loop.step(); // aborted
    add(P0, 0, "a");
    add(P0, 1, "b");
    loop.step(); // redone

    var offset = producer.consumerGroupOffsetsHistory().get(0).values().iterator().next().get(P0);
    assertEquals(2L, CommittedRecords.of(offset).records());
  }

  @Test
  void recordsSetAsideAreCountedBesideTheRecordsAndTheCountsGoOnAcrossOwners() {
    // Given a previous owner of P1 that committed 40 records, 2 of them set aside
    consumer.commitSync(Map.of(P1, new OffsetAndMetadata(57, "records=40;aside=2")));
    consumer.seek(P1, 57);
    // and a batch with records the processor sets aside (dead-letters) on both partitions
    add(P0, 0, "a");
    add(P0, 1, "!b");
    add(P0, 2, "c");
    add(P1, 57, "!d");

    // When the loop commits it, then one more record on P0
    loop.step();
    add(P0, 3, "!e");
    loop.step();

    // Then each offset says how many records were done and how many of them were set aside
    var first = producer.consumerGroupOffsetsHistory().get(0).values().iterator().next();
    assertEquals(3L, CommittedRecords.of(first.get(P0)).records());
    assertEquals(1L, CommittedRecords.of(first.get(P0)).aside());
    assertEquals(41L, CommittedRecords.of(first.get(P1)).records());
    assertEquals(3L, CommittedRecords.of(first.get(P1)).aside());
    var second = producer.consumerGroupOffsetsHistory().get(1).values().iterator().next().get(P0);
    assertEquals(4L, CommittedRecords.of(second).records());
    assertEquals(2L, CommittedRecords.of(second).aside());
    assertEquals(List.of("!b", "!d", "!e"), producer.history().stream().filter(r -> r.topic().equals("dead"))
        .map(r -> new String(r.value(), StandardCharsets.UTF_8)).sorted().toList());
  }

  @Test
  void abortsAndRewindsToTheCommittedPositionThenRedoes() {
    // Given offset 0 of P0 already committed by an earlier transaction, and a processor that fails once
    consumer.commitSync(Map.of(P0, new OffsetAndMetadata(1)));
    consumer.seek(P0, 1);
    add(P0, 1, "x");
    add(P0, 2, "y");
    failuresToInject.set(1);

    // When the batch fails
    loop.step();

    // Then nothing is committed and the consumer is back at the committed offset
    assertFalse(producer.transactionCommitted());
    assertTrue(producer.history().isEmpty());
    assertEquals(1, loop.abortedBatches());
    assertEquals(1, abortedCallbacks);
    assertEquals(1L, consumer.position(P0));

    // When the same records are polled again (the mock does not re-fetch by itself)
    add(P0, 1, "x");
    add(P0, 2, "y");
    loop.step();

    // Then the redo commits them once
    assertEquals(List.of("X", "Y"), sentValues());
    assertEquals(3L, producer.consumerGroupOffsetsHistory().get(0).values().iterator().next().get(P0).offset());
  }

  @Test
  void abortsAnOpenTransactionWhenTheCommitFails() {
    // Given a commit that fails
    add(P1, 0, "a");
    producer.commitTransactionException = new org.apache.kafka.common.KafkaException("broker said no");

    // When the loop steps
    loop.step();

    // Then the transaction was aborted, nothing is visible, and P1 is rewound to its first record
    assertTrue(producer.transactionAborted());
    assertTrue(producer.history().isEmpty());
    assertEquals(0L, consumer.position(P1));
  }

  @Test
  void takesOnlyAsManyRecordsAsTheCapacityAndHandsTheRestBack() {
    // Given capacity for 2 records and 3 waiting
    capacity.set(2);
    add(P0, 0, "a");
    add(P0, 1, "b");
    add(P0, 2, "c");

    // When the loop steps
    loop.step();

    // Then 2 are processed and the position is at the first one handed back
    assertEquals(2, processed.get(0).size());
    assertEquals(List.of("A", "B"), sentValues());
    assertEquals(2L, consumer.position(P0));
  }

  @Test
  void pausesAtZeroCapacityAndResumesWhenItReturns() {
    // Given no capacity
    capacity.set(0);

    // When the loop steps
    loop.step();

    // Then every assigned partition is paused and the processor told once
    assertEquals(java.util.Set.of(P0, P1), consumer.paused());
    assertTrue(loop.paused());
    loop.step();
    assertEquals(List.of(true), pauses);

    // When capacity returns
    capacity.set(5);
    loop.step();

    // Then consumption resumes
    assertTrue(consumer.paused().isEmpty());
    assertFalse(loop.paused());
    assertEquals(List.of(true, false), pauses);
  }

  @Test
  void aFencedProducerStopsTheLoop() {
    // Given a producer fenced by a newer instance with the same transactional id
    add(P0, 0, "a");
    producer.commitTransactionException = new ProducerFencedException("a newer instance took over");

    // Then the step throws instead of retrying forever
    assertThrows(ProducerFencedException.class, loop::step);
  }

  @Test
  void stopEndsRunAndClosesBothClients() throws Exception {
    // Given a running loop on its own thread (fresh clients: run() opens them itself)
    var c = new MockConsumer<byte[], byte[]>("earliest");
    var p = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    var running = new TransactionalLoop(c, p, List.of(IN), echo, Duration.ofMillis(10));
    Thread t = new Thread(running);
    t.start();

    // When it is stopped
    Thread.sleep(100);
    running.stop();

    // Then run() returns and both clients are closed
    assertTrue(running.awaitStopped(Duration.ofSeconds(5)));
    t.join(5_000);
    assertTrue(c.closed());
    assertTrue(p.closed());
  }
}
