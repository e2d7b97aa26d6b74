package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AdamW optimiser state for one model, and the training step that uses it.
 *
 * <p>One step: zero gradients, forward and backward with autograd on (this thread only), global-norm
 * clipping (every gradient scaled by min(1, maxNorm / ||g||)), bias-corrected Adam moments, decoupled
 * weight decay, in-place update, all under the model's write lock. A non-finite gradient norm skips
 * the update (reported in {@link StepStats#skipped()}). Deterministic on CPU: the same seed and data
 * give bit-identical weights. Not thread-safe: one trainer thread per optimiser.
 */
public final class AdamW implements AutoCloseable {
  static final String STATE_FILE = "optimizer.safetensors";
  static final String META_FILE = "optimizer.json";
  private static final Logger LOG = LoggerFactory.getLogger(AdamW.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final AdamWConfig config;
  private final LrSchedule schedule;
  private final NDManager manager;
  private final Map<String, NDArray> firstMoments = new LinkedHashMap<>(); // name -> same shape as parameter
  private final Map<String, NDArray> secondMoments = new LinkedHashMap<>(); // name -> same shape as parameter
  private long step;

  public AdamW(AdamWConfig config, LrSchedule schedule) {
    this.config = config;
    this.schedule = schedule;
    this.manager = BaseModel.newRoot();
  }

  /** The value to minimise plus figures to report, all arrays of the step manager. */
  record Loss(NDArray value, long count, Map<String, NDArray> metrics) {}

  /** Builds the loss from the current weights inside the step manager {@code m}. */
  interface Objective {
    Loss compute(Weights w, NDManager m);
  }

  public AdamWConfig config() {
    return config;
  }

  public LrSchedule schedule() {
    return schedule;
  }

  /** Optimiser steps taken so far. */
  public long stepCount() {
    return step;
  }

  /** Live native arrays of the optimiser state; for tests. */
  public int liveArrays() {
    return manager.getManagedArrays().size();
  }

  synchronized StepStats step(BaseModel model, Objective objective) {
    return model.write(w -> {
      try (NDManager m = model.root.newSubManager()) {
        w.arrays().values().forEach(GradMode::zero);
        if (w.adapter() != null) {
          w.adapter().beginPass(step + 1); // masks follow the optimiser step, which a checkpoint restores
        }
        Loss loss;
        try (GradMode on = GradMode.on()) {
          loss = objective.compute(w, m);
          GradMode.backward(loss.value(), m);
        }
        double lossValue = scalar(loss.value());
        Map<String, Double> metrics = new LinkedHashMap<>();
        loss.metrics().forEach((k, v) -> metrics.put(k, scalar(v)));
        try (GradMode off = GradMode.off()) {
          Map<String, NDArray> grads = new LinkedHashMap<>();
          double squares = 0;
          for (Map.Entry<String, NDArray> e : w.arrays().entrySet()) {
            NDArray g = GradMode.gradient(e.getValue(), m);
            if (g != null) {
              grads.put(e.getKey(), g);
              squares += scalar(g.square().sum());
            }
          }
          double norm = Math.sqrt(squares);
          if (!Double.isFinite(norm) || !Double.isFinite(lossValue)) {
            LOG.warn("skipping update at step {}: loss {} gradient norm {}", step + 1, lossValue, norm);
            w.arrays().values().forEach(GradMode::zero);
            return new StepStats(step, lossValue, Double.NaN, 0, loss.count(), true, metrics);
          }
          double clip = config.maxGradNorm() > 0 ? Math.min(1.0, config.maxGradNorm() / (norm + 1e-6)) : 1.0;
          step++;
          double lr = schedule.at(step);
          update(w, grads, m, clip, lr);
          w.arrays().values().forEach(GradMode::zero);
          model.bumpVersion();
          return new StepStats(step, lossValue, norm, lr, loss.count(), false, metrics);
        }
      }
    });
  }

  private void update(Weights w, Map<String, NDArray> grads, NDManager m, double clip, double lr) {
    DataType type = w.dataType();
    double bc1 = 1.0 - Math.pow(config.beta1(), step);
    double bc2 = 1.0 - Math.pow(config.beta2(), step);
    NDArray clipScale = Scalar.of(m, clip, type);
    NDArray b1 = Scalar.of(m, config.beta1(), type);
    NDArray oneMinusB1 = Scalar.of(m, 1.0 - config.beta1(), type);
    NDArray b2 = Scalar.of(m, config.beta2(), type);
    NDArray oneMinusB2 = Scalar.of(m, 1.0 - config.beta2(), type);
    NDArray invSqrtBc2 = Scalar.of(m, 1.0 / Math.sqrt(bc2), type);
    NDArray eps = Scalar.of(m, config.eps(), type);
    NDArray stepSize = Scalar.of(m, lr / bc1, type);
    NDArray decay = Scalar.of(m, 1.0 - lr * config.weightDecay(), type);
    for (Map.Entry<String, NDArray> e : grads.entrySet()) {
      String name = e.getKey();
      NDArray p = w.get(name);
      NDArray g = e.getValue().mul(clipScale); // step manager
      NDArray m1 = firstMoments.computeIfAbsent(name, k -> zerosLike(p, k, "m1"));
      NDArray m2 = secondMoments.computeIfAbsent(name, k -> zerosLike(p, k, "m2"));
      m1.muli(b1).addi(g.mul(oneMinusB1));
      m2.muli(b2).addi(g.mul(g).mul(oneMinusB2));
      // Results of ops whose first operand is state would attach to the state manager: move them to m.
      NDArray denom = inStep(m2.sqrt(), m).mul(invSqrtBc2).add(eps);
      NDArray delta = inStep(m1.div(denom), m).mul(stepSize);
      if (config.weightDecay() > 0 && p.getShape().dimension() >= 2) {
        p.muli(decay);
      }
      p.subi(delta);
    }
  }

  private NDArray zerosLike(NDArray p, String name, String kind) {
    NDArray z = manager.zeros(p.getShape(), p.getDataType());
    z.setName(kind + "/" + name);
    return z;
  }

  private static NDArray inStep(NDArray a, NDManager m) {
    a.attach(m);
    return a;
  }

  private static double scalar(NDArray a) {
    return a.toType(DataType.FLOAT64, false).toDoubleArray()[0];
  }

  /** Writes the moments ({@value #STATE_FILE}) and step, config and schedule ({@value #META_FILE}). */
  public synchronized void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    NDList list = new NDList();
    firstMoments.values().forEach(list::add);
    secondMoments.values().forEach(list::add);
    try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(dir.resolve(STATE_FILE)))) {
      list.encode(out, NDList.Encoding.SAFETENSORS);
    }
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("step", step);
    meta.put("config", config);
    meta.put("schedule", schedule);
    Files.writeString(dir.resolve(META_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(meta));
  }

  /** Restores an optimiser written by {@link #save}; continuing from it is bit-identical. */
  public static AdamW load(Path dir) throws IOException {
    JsonNode meta = JSON.readTree(dir.resolve(META_FILE).toFile());
    AdamW opt = new AdamW(JSON.treeToValue(meta.get("config"), AdamWConfig.class),
        JSON.treeToValue(meta.get("schedule"), LrSchedule.class));
    opt.step = meta.get("step").asLong();
    Path state = dir.resolve(STATE_FILE);
    if (Files.size(state) > 0) {
      try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(state))) {
        Map<String, NDArray> byName = new HashMap<>();
        for (NDArray a : NDList.decode(opt.manager, in)) {
          byName.put(a.getName(), a);
        }
        byName.keySet().stream().sorted().forEach(n -> {
          NDArray a = byName.get(n);
          String param = n.substring(3);
          (n.startsWith("m1/") ? opt.firstMoments : opt.secondMoments).put(param, a);
        });
      }
    }
    return opt;
  }

  @Override
  public void close() {
    manager.close();
  }
}
