package io.alignstream.producer;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.Topic;
import io.alignstream.testkit.TopicReader;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Waiting for exactly-once output in integration tests: records become visible only at commit. */
final class Await {
  private Await() {}

  /** Reads {@code topic}'s committed records until there are at least {@code n}, or fails after {@code timeout}. */
  static <K, V> List<ConsumerRecord<K, V>> records(KafkaConnection kafka, Topic<K, V> topic, int n, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<ConsumerRecord<K, V>> records = TopicReader.readCommitted(kafka, topic);
      if (records.size() >= n) {
        return records;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("only " + records.size() + " of " + n + " records on " + topic.name() + " after " + timeout);
      }
      Thread.sleep(200);
    }
  }

  static boolean onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }

  /** The project's shared data folder ({@code shared/data/hh}), found by walking up from the working directory. */
  static Path hhData() {
    for (Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath(); p != null; p = p.getParent()) {
      Path hh = p.resolve("shared").resolve("data").resolve("hh");
      if (Files.isDirectory(hh)) {
        return hh;
      }
    }
    throw new AssertionError("no shared/data/hh above " + System.getProperty("user.dir"));
  }
}
