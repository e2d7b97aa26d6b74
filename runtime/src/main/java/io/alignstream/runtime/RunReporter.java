package io.alignstream.runtime;

import io.alignstream.schemas.Metric;
import io.alignstream.schemas.RunEvent;
import io.alignstream.schemas.Topics;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a service's metrics and run events. Best effort by design: a lost metric must never stop
 * training, so send failures are logged, not thrown. Thread-safe (the Kafka producer is).
 */
public final class RunReporter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RunReporter.class);

  private final Producer<byte[], byte[]> producer;
  private final Topics topics;
  private final String source;

  /** {@code producer} is owned (closed) by the reporter; it must not be transactional. */
  public RunReporter(Producer<byte[], byte[]> producer, Topics topics, String source) {
    this.producer = producer;
    this.topics = topics;
    this.source = source;
  }

  public String source() {
    return source;
  }

  public void metric(String name, double value, long step, long policyVersion) {
    metric(name, value, step, policyVersion, Map.of());
  }

  public void metric(String name, double value, long step, long policyVersion, Map<String, String> tags) {
    Metric m = Metric.newBuilder().setSource(source).setName(name).setValue(value).setStep(step)
        .setPolicyVersion(policyVersion).setTimestampMs(System.currentTimeMillis()).setTags(Map.copyOf(tags))
        .build();
    send(topics.metrics.record(source, m));
  }

  public void event(String kind, String message, Map<String, String> attributes) {
    RunEvent e = RunEvent.newBuilder().setSource(source).setKind(kind).setMessage(message)
        .setTimestampMs(System.currentTimeMillis()).setAttributes(Map.copyOf(attributes)).build();
    send(topics.events.record(source, e));
  }

  private void send(org.apache.kafka.clients.producer.ProducerRecord<byte[], byte[]> record) {
    producer.send(record, (meta, error) -> {
      if (error != null) {
        log.warn("{}: could not send to {}: {}", source, record.topic(), error.getMessage());
      }
    });
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
