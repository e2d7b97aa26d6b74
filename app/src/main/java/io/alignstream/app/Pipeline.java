package io.alignstream.app;

import io.alignstream.broker.KafkaConnection;
import io.alignstream.learner.BatchingConfig;
import io.alignstream.learner.BatchingService;
import io.alignstream.learner.LearnerConfig;
import io.alignstream.learner.LearnerService;
import io.alignstream.producer.IngestConfig;
import io.alignstream.producer.IngestService;
import io.alignstream.rewarder.RewarderConfig;
import io.alignstream.rewarder.RewarderService;
import io.alignstream.sampler.SamplerConfig;
import io.alignstream.sampler.SamplerService;
import io.alignstream.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every service of one run in this JVM, talking through Kafka exactly as separate processes would:
 * the ingest topology, N samplers, the rewarder, the batching topology and the learner. Each
 * service runs on its own thread; closing stops them in reverse order of the data flow's needs.
 */
public final class Pipeline implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Pipeline.class);

  /**
   * @param learner the learner's settings (recipe, base model, checkpoints)
   * @param sampler the template of every sampler replica (ids are numbered from it)
   * @param samplers how many sampler replicas
   * @param rewarder the rewarder's settings
   * @param batchWait time bound of the batching topology
   * @param stateDir where the Streams topologies keep their local state
   * @param withLearner whether the batching topology and the learner run here too (false when the
   *     learner runs as its own process, e.g. {@code alignstream learner})
   */
  public record Settings(LearnerConfig learner, SamplerConfig sampler, int samplers, RewarderConfig rewarder,
      Duration batchWait, Path stateDir, boolean withLearner) {
    public Settings {
      Objects.requireNonNull(learner, "learner");
      Objects.requireNonNull(sampler, "sampler");
      Objects.requireNonNull(rewarder, "rewarder");
      if (samplers < 1) {
        throw new IllegalArgumentException("at least one sampler is needed, got " + samplers);
      }
      if (sampler.samplesPerPrompt() != learner.recipe().samplesPerPrompt()) {
        throw new IllegalArgumentException("samplers draw " + sampler.samplesPerPrompt()
            + " samples per prompt but the recipe expects " + learner.recipe().samplesPerPrompt()
            + " (samples.per_prompt)");
      }
    }
  }

  private final List<AutoCloseable> resources = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final List<SamplerService> samplers = new ArrayList<>();
  private RewarderService rewarder;
  private LearnerService learner;
  private IngestService ingest;

  private Pipeline() {}

  /** Starts every service; the learner begins with SFT as soon as demonstrations are there. */
  public static Pipeline start(KafkaConnection kafka, Settings s) {
    Pipeline p = new Pipeline();
    try {
      Topics topics = s.learner().topics();
      p.ingest = IngestService.start(kafka, topics, IngestConfig.defaults()).awaitRunning(Duration.ofMinutes(2));
      p.resources.add(p.ingest);
      if (s.withLearner()) {
        p.resources.add(BatchingService.start(kafka, topics,
            new BatchingConfig(s.learner().recipe().samplesPerPrompt(), s.batchWait()),
            s.stateDir().resolve("batching"), Duration.ofMinutes(2)));
        p.learner = LearnerService.create(kafka, s.learner());
        p.resources.add(p.learner);
        p.spawn("learner", p.learner);
      }
      p.rewarder = new RewarderService(s.rewarder(), kafka);
      p.resources.add(p.rewarder);
      p.spawn("rewarder", p.rewarder);
      for (int i = 0; i < s.samplers(); i++) {
        SamplerConfig c = s.sampler();
        var sampler = new SamplerService(c.withSamplerId(c.samplerId() + "-" + i).withSeed(c.seed() + i), kafka);
        p.samplers.add(sampler);
        p.resources.add(sampler);
        p.spawn("sampler-" + i, sampler);
      }
      return p;
    } catch (RuntimeException e) {
      p.close();
      throw e;
    }
  }

  private void spawn(String name, Runnable service) {
    Thread t = new Thread(() -> {
      try {
        service.run();
      } catch (RuntimeException e) {
        log.error("{} stopped: {}", name, e.toString());
      }
    }, name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  /** The in-process learner; absent when {@link Settings#withLearner()} is false. */
  public LearnerService learner() {
    if (learner == null) {
      throw new IllegalStateException("the learner runs in another process");
    }
    return learner;
  }

  public RewarderService rewarder() {
    return rewarder;
  }

  public List<SamplerService> samplers() {
    return List.copyOf(samplers);
  }

  public IngestService ingest() {
    return ingest;
  }

  /**
   * Waits until the learner has published {@code version} or stopped.
   *
   * @return whether the version was reached
   */
  public boolean awaitVersion(long version, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (learner.version() < version) {
      if (learner.failure().isPresent()) {
        throw new IllegalStateException("the learner failed: " + learner.failure().get().getMessage(),
            learner.failure().get());
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(100);
    }
    return true;
  }

  @Override
  public void close() {
    // Producers of data first, so nothing downstream waits on a closed upstream.
    List<AutoCloseable> order = new ArrayList<>(samplers);
    if (rewarder != null) {
      order.add(rewarder);
    }
    for (int i = resources.size() - 1; i >= 0; i--) {
      if (!order.contains(resources.get(i))) {
        order.add(resources.get(i));
      }
    }
    for (AutoCloseable r : order) {
      try {
        r.close();
      } catch (Exception e) {
        log.warn("closing {}: {}", r.getClass().getSimpleName(), e.toString());
      }
    }
    for (Thread t : threads) {
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
