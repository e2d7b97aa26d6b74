package io.alignstream.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.schemas.Metric;
import io.alignstream.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class ResourceReportTest {
  private final Topics topics = Topics.forRun("resources-test");

  @Test
  void aReportCarriesEveryMeasureOfThisProcess() throws InterruptedException {
    var producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    // A long interval: only the first report, which is sent at once, is awaited.
    try (var report = ResourceReport.start(new RunReporter(producer, topics, "sampler-s1"), () -> 42,
        Duration.ofHours(1))) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (producer.history().size() < ResourceReport.METRICS.size()) {
        assertTrue(System.nanoTime() < deadline, "no report: " + producer.history().size());
        Thread.sleep(10);
      }
    }
    Map<String, Metric> sent = producer.history().stream()
        .map(r -> topics.metrics.valueSerde().deserializer().deserialize(r.topic(), r.value()))
        .collect(Collectors.toMap(Metric::getName, m -> m));
    assertEquals(ResourceReport.METRICS.stream().sorted().toList(), sent.keySet().stream().sorted().toList(),
        "every measure is readable on Linux");
    assertEquals(42.0, sent.get(ResourceReport.NATIVE_ARRAYS).getValue());
    assertEquals("sampler-s1", sent.get(ResourceReport.RSS_MB).getSource());
    double rss = sent.get(ResourceReport.RSS_MB).getValue();
    double heap = sent.get(ResourceReport.HEAP_USED_MB).getValue();
    assertTrue(rss > heap && heap > 0, "rss " + rss + " MiB, heap " + heap + " MiB");
    assertTrue(sent.get(ResourceReport.THREADS).getValue() >= 2);
    assertTrue(sent.get(ResourceReport.OPEN_FILES).getValue() >= 3, "at least stdin, stdout and stderr");
    assertTrue(producer.closed(), "the reporter is closed with the report");
  }

  @Test
  void aNonPositiveIntervalIsRefused() {
    var producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    var e = assertThrows(IllegalArgumentException.class,
        () -> ResourceReport.start(new RunReporter(producer, topics, "x"), () -> 0, Duration.ZERO));
    assertTrue(e.getMessage().contains("must be positive"), e.getMessage());
    assertEquals(List.of(), producer.history());
  }
}
