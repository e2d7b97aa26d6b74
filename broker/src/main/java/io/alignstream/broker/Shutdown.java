package io.alignstream.broker;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a long-running command stops on a signal (Ctrl-C, SIGTERM): a shutdown hook closes the
 * service, which makes the command's {@code run} return, and then holds the JVM's exit until the
 * command has closed everything else (its clients, an embedded broker), within a bound. Opened as
 * the command's first resource, so that it closes last:
 *
 * <pre>{@code
 * try (Shutdown shutdown = new Shutdown("sampler"); RunSession session = kafka.open();
 *     SamplerService service = shutdown.closes(new SamplerService(config, session.connection()))) {
 *   service.run();
 * }
 * }</pre>
 *
 * Closing it releases the hold and, when the JVM is not already exiting, removes the hook.
 */
public final class Shutdown implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Shutdown.class);
  private static final Duration HOLD = Duration.ofSeconds(30);

  private final String name;
  private final CountDownLatch done = new CountDownLatch(1);
  private Thread hook;

  /** @param name what stops, for the hook thread's name */
  public Shutdown(String name) {
    this.name = name;
  }

  /** Installs the hook that closes {@code service} on a signal; returns it. Once per command. */
  public synchronized <S extends AutoCloseable> S closes(S service) {
    if (hook != null) {
      throw new IllegalStateException("the shutdown hook of " + name + " is installed already");
    }
    hook = new Thread(() -> {
      try {
        service.close();
      } catch (Exception e) {
        log.warn("stopping {}: {}", name, e.toString());
      }
      try {
        done.await(HOLD.toSeconds(), TimeUnit.SECONDS); // let the command close the rest
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, name + "-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    return service;
  }

  @Override
  public synchronized void close() {
    done.countDown();
    if (hook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException exiting) {
        // the hook is running: it closed the service and has just been released
      }
    }
  }
}
