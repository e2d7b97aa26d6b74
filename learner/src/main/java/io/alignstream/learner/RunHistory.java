package io.alignstream.learner;

import io.alignstream.model.Example;
import io.alignstream.runtime.TopicScan;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.ModelVersion;
import io.alignstream.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the run's topics already hold, as the learner needs it to start or resume: every
 * demonstration (for SFT), the versions already published, the batch records between two offsets.
 * Each read takes a fresh read_committed consumer with no group and reads to the end as of the call.
 */
final class RunHistory {
  private static final Logger log = LoggerFactory.getLogger(RunHistory.class);

  private final Topics topics;
  private final Function<String, Consumer<byte[], byte[]>> readers;

  /** @param readers makes a fresh read_committed consumer with no group; the argument is a client id suffix */
  RunHistory(Topics topics, Function<String, Consumer<byte[], byte[]>> readers) {
    this.topics = topics;
    this.readers = readers;
  }

  /**
   * Every demonstration in the run, tokenized by {@code learner} (those that do not fit are skipped),
   * ordered by id: the same demonstrations give the same SFT run, whatever order they arrived in.
   * Waits, reading again every half second, until there are {@code min}; fails after {@code wait} or
   * once {@code running} turns false.
   */
  List<Example> demonstrations(Learner learner, int min, Duration wait, BooleanSupplier running) {
    long deadline = System.nanoTime() + wait.toNanos();
    Map<String, Example> byId = new LinkedHashMap<>();
    int[] skipped = {0};
    try (Consumer<byte[], byte[]> reader = readers.apply("learner-demonstrations")) {
      List<TopicPartition> parts = TopicScan.partitions(topics.demonstrations);
      reader.assign(parts);
      reader.seekToBeginning(parts);
      while (true) {
        TopicScan.toEnd(reader, parts, r -> {
          try {
            Demonstration d = topics.demonstrations.value(r);
            Example e = d == null ? null : learner.demonstration(d.getPrompt(), d.getResponse());
            if (e == null) {
              skipped[0]++;
            } else {
              byId.put(d.getId(), e);
            }
          } catch (SerializationException ex) {
            skipped[0]++;
          }
        });
        if (byId.size() >= min) {
          break;
        }
        if (System.nanoTime() > deadline || !running.getAsBoolean()) {
          throw new IllegalStateException("only " + byId.size() + " demonstrations in run '" + topics.runId()
              + "' after " + wait.toSeconds() + " s (need " + min + "): stream some in with 'alignstream produce --run "
              + topics.runId() + " FILE'");
        }
        sleep(500);
      }
    }
    if (skipped[0] > 0) {
      log.warn("{} demonstrations skipped: too long for the context or undecodable", skipped[0]);
    }
    var ids = new ArrayList<>(byId.keySet());
    ids.sort(null);
    return ids.stream().map(byId::get).toList();
  }

  /** The newest version published on model line {@code line}, or -1 for none. */
  long latestVersion(String line) {
    long[] latest = {-1};
    try (Consumer<byte[], byte[]> reader = readers.apply("learner-versions")) {
      TopicScan.fromBeginning(reader, List.of(new TopicPartition(topics.modelVersions.name(), 0)), r -> {
        try {
          ModelVersion m = topics.modelVersions.value(r);
          if (m != null && m.getModelName().equals(line)) {
            latest[0] = Math.max(latest[0], m.getVersion());
          }
        } catch (SerializationException e) {
          // a corrupt manifest says nothing about versions
        }
      });
    }
    return latest[0];
  }

  /** The records of {@code partition} in [from, to), in order. */
  List<ConsumerRecord<byte[], byte[]>> records(TopicPartition partition, long from, long to) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (Consumer<byte[], byte[]> reader = readers.apply("learner-recovery")) {
      reader.assign(List.of(partition));
      reader.seek(partition, from);
      TopicScan.until(reader, Map.of(partition, to), out::add);
    }
    return out;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
