package io.alignstream.broker;

import java.time.Duration;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumer polled on its own daemon thread, every record handed to a step, until closed: how a
 * command follows a topic beside its own work (the dashboard's metrics and events, produce's
 * verdicts). The consumer is owned from the start: {@code setup} assigns and positions it on the
 * thread, and the thread closes it. Closing wakes the consumer and waits a few seconds for the thread.
 */
public final class ConsumerThread<K, V> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConsumerThread.class);

  /** Assigns and positions the consumer, on the thread, before the first poll; may wait (it is woken on close). */
  @FunctionalInterface
  public interface Setup<K, V> {
    void prepare(org.apache.kafka.clients.consumer.Consumer<K, V> consumer) throws InterruptedException;
  }

  private final String name;
  private final org.apache.kafka.clients.consumer.Consumer<K, V> consumer;
  private final Thread thread;
  private volatile boolean closed;

  private ConsumerThread(String name, org.apache.kafka.clients.consumer.Consumer<K, V> consumer, Duration poll,
      Setup<K, V> setup, Consumer<ConsumerRecord<K, V>> each) {
    this.name = name;
    this.consumer = consumer;
    this.thread = new Thread(() -> run(poll, setup, each), name);
    thread.setDaemon(true);
  }

  /** Starts the thread {@code name}: {@code setup}, then {@code each} on every record polled. */
  public static <K, V> ConsumerThread<K, V> start(String name, org.apache.kafka.clients.consumer.Consumer<K, V> consumer,
      Duration poll, Setup<K, V> setup, Consumer<ConsumerRecord<K, V>> each) {
    var t = new ConsumerThread<>(name, consumer, poll, setup, each);
    t.thread.start();
    return t;
  }

  private void run(Duration poll, Setup<K, V> setup, Consumer<ConsumerRecord<K, V>> each) {
    try {
      setup.prepare(consumer);
      while (!closed) {
        for (ConsumerRecord<K, V> r : consumer.poll(poll)) {
          each.accept(r);
        }
      }
    } catch (WakeupException e) {
      if (!closed) {
        log.warn("{} woken without being closed; it stops", name);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.error("{} stopped: {}", name, e.toString(), e);
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /** Whether the thread still follows (false after close or a failure). */
  public boolean isRunning() {
    return thread.isAlive();
  }

  @Override
  public void close() {
    closed = true;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
