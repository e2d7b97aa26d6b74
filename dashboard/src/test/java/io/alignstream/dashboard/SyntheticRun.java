package io.alignstream.dashboard;

import io.alignstream.schemas.Metric;
import io.alignstream.schemas.RunEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** A plausible ten-minute run's metrics and events, for tests and for the screenshot to look like a real run. */
record SyntheticRun(List<Metric> metrics, List<RunEvent> events) {
  static final int UPDATES = 60;

  static SyntheticRun tenMinutes(long endMs) {
    var random = new Random(7);
    var metrics = new ArrayList<Metric>();
    var events = new ArrayList<RunEvent>();
    long start = endMs - 10 * 60_000L;
    events.add(event("learner", "stage", "sft: reading demonstrations", start, Map.of("stage", "sft")));
    for (int s = 0; s < 10; s++) {
      metrics.add(metric("learner", "sft.loss", 4.2 * Math.exp(-s / 4.0) + 1.1 + 0.05 * random.nextGaussian(), s, 0,
          start + s * 3_000L));
    }
    long loop = start + 40_000L;
    events.add(event("learner", "stage", "loop: SFT done, policy v1 published", loop, Map.of("stage", "loop", "version", "1")));
    for (String r : List.of("sampler-1", "sampler-2", "rewarder-1")) {
      events.add(event(r, "replica-started", r + " started", loop + 500, Map.of()));
    }
    for (int u = 1; u <= UPDATES; u++) {
      long t = loop + u * 9_000L;
      double progress = u / (double) UPDATES;
      double noise = random.nextGaussian();
      metrics.add(metric("learner", "reward.loss", 0.69 - 0.2 * Math.sqrt(progress) + 0.02 * noise, u, u, t));
      metrics.add(metric("learner", "reward.accuracy", Math.min(0.97, 0.5 + 0.4 * Math.sqrt(progress) - 0.2 * progress
          + 0.03 * random.nextGaussian()), u, u, t));
      metrics.add(metric("learner", "policy.loss", 1.6 * Math.exp(-3 * progress) + 0.3 + 0.06 * random.nextGaussian(), u, u, t));
      metrics.add(metric("learner", "policy.grad_norm", 2.0 * Math.exp(-2 * progress) + 0.4 + 0.1 * random.nextGaussian(), u, u, t));
      metrics.add(metric("learner", "reward.demonstrations_mean", 1.2 - 0.3 * progress + 0.05 * noise, u, u, t));
      metrics.add(metric("learner", "reward.generations_mean", -1.5 + 2.3 * progress + 0.1 * random.nextGaussian(), u, u, t));
      metrics.add(metric("learner", "reward.generations_spread", 0.6 - 0.3 * progress, u, u, t));
      metrics.add(metric("learner", "kl.behaviour", 0.02 + 0.01 * Math.abs(random.nextGaussian()), u, u, t));
      metrics.add(metric("learner", "kl.base", 0.6 * Math.sqrt(progress), u, u, t));
      metrics.add(metric("learner", "lag.mean", 0.8 + 0.3 * Math.abs(random.nextGaussian()), u, u, t));
      metrics.add(metric("learner", "lag.max", 2 + random.nextInt(2), u, u, t));
      metrics.add(metric("learner", "learner.samples_per_s", 55 + 6 * random.nextGaussian(), u, u, t));
      metrics.add(metric("learner", "learner.policy_version", u + 1, u, u + 1, t + 200));
      for (int k = 1; k <= 2; k++) {
        String sampler = "sampler-" + k;
        long ts = t + 3_000L * k;
        metrics.add(metric(sampler, "sampler.generations_per_s", 28 + 3 * k + 2 * random.nextGaussian(), u, u, ts));
        metrics.add(metric(sampler, "sampler.policy_version", Math.max(1, u + 1 - k % 2), u, u, ts));
      }
      metrics.add(metric("rewarder-1", "rewarder.samples_per_s", 70 + 5 * random.nextGaussian(), u, u, t + 4_000));
      metrics.add(metric("rewarder-1", "rewarder.version", u + 1, u, u + 1, t + 4_000));
      if (u % 10 == 0) {
        metrics.add(metric("evaluator", "eval.golden_success", Math.min(1, 0.08 + 0.7 * progress + 0.03 * noise), u, u + 1, t + 1_000));
        events.add(event("learner", "version-published", "policy v" + (u + 1) + " published", t + 200,
            Map.of("line", "policy", "version", Integer.toString(u + 1))));
      }
    }
    events.add(event("rewarder-1", "version-rejected", "reward v17 rejected: NaN in weights", loop + 17 * 9_000L,
        Map.of("line", "reward", "version", "17")));
    events.sort((a, b) -> Long.compare(a.getTimestampMs(), b.getTimestampMs()));
    return new SyntheticRun(List.copyOf(metrics), List.copyOf(events));
  }

  static Metric metric(String source, String name, double value, long step, long version, long timestampMs) {
    return Metric.newBuilder().setSource(source).setName(name).setValue(value).setStep(step)
        .setPolicyVersion(version).setTimestampMs(timestampMs).setTags(Map.of()).build();
  }

  static RunEvent event(String source, String kind, String message, long timestampMs, Map<String, String> attributes) {
    return RunEvent.newBuilder().setSource(source).setKind(kind).setMessage(message).setTimestampMs(timestampMs)
        .setAttributes(attributes).build();
  }

  /** Puts everything into {@code store} directly, as the follower would. */
  void into(MetricsStore store) {
    metrics.forEach(store::add);
    events.forEach(store::add);
  }
}
