package io.alignstream.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.schemas.Topics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code alignstream broker}: serves until told to stop, and tells the user where and what. */
class BrokerCommandIT {
  @Test
  void servesPrintsAddressAndTopicsThenStopsCleanly(@TempDir Path dir) throws Exception {
    var bytes = new ByteArrayOutputStream();
    var out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    var stop = new CountDownLatch(1);
    var failure = new AtomicReference<Throwable>();
    Topics topics = Topics.forRun("cli");

    // Given the command serving on free ports
    Thread serving = new Thread(() -> {
      try {
        BrokerCommand.serve(BrokerConfig.ephemeral(dir), topics, Replication.of(1), out, stop);
      } catch (Throwable t) {
        failure.set(t);
      }
    }, "broker-command-it");
    serving.start();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!bytes.toString(StandardCharsets.UTF_8).contains("Ctrl-C") && serving.isAlive()
        && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    String shown = bytes.toString(StandardCharsets.UTF_8);

    // Then it printed the bootstrap address and every topic of the run, created
    assertTrue(shown.contains("bootstrap 127.0.0.1:"), shown);
    for (var topic : topics.all()) {
      assertTrue(shown.lines().anyMatch(l -> l.startsWith(topic.name() + " ") && l.contains("created")),
          () -> topic.name() + " missing:\n" + shown);
    }

    // When it is told to stop (Ctrl-C's shutdown hook does this), it stops the broker and returns
    stop.countDown();
    serving.join(30_000);
    assertFalse(serving.isAlive(), "still serving after stop");
    assertEquals(null, failure.get());
    assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("Stopping the broker"));
  }
}
