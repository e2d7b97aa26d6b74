package io.alignstream.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.schemas.Topic;
import io.alignstream.schemas.Topics;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A client written elsewhere (librdkafka's kcat) sees the broker and the run's topics. */
@ExtendWith(KafkaFixture.class)
class KcatIT {
  @Test
  void kcatListsTheRunsTopics(KafkaConnection kafka, Topics topics) throws Exception {
    assumeTrue(onPath("kcat"), "kcat is not on PATH (Debian: apt-get install kcat); CI installs it");
    assumeTrue(kafka.clientProperties().isEmpty(), "kcat is only run against a plaintext broker without client settings");

    Process kcat = new ProcessBuilder("kcat", "-b", kafka.bootstrapServers(), "-L", "-m", "10")
        .redirectErrorStream(true)
        .start();
    assertTrue(kcat.waitFor(30, TimeUnit.SECONDS), "kcat did not finish in 30 s");
    String listing = new String(kcat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertEquals(0, kcat.exitValue(), listing);
    for (Topic<?, ?> t : topics.all()) {
      assertTrue(listing.contains("topic \"" + t.name() + "\" with " + t.partitions() + " partitions"),
          () -> t.name() + " not listed:\n" + listing);
    }
  }

  private static boolean onPath(String program) {
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
}
