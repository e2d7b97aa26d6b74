package io.alignstream.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * K reward models scored together: every member's reward plus their mean and spread, so callers can
 * penalise disagreement (a guard against over-optimising one model). Members differ by head seed and
 * by the bootstrap resample of each batch they train on. Thread-safety as for {@link RewardModel};
 * {@link #discriminatorStep} must be called from one thread.
 */
public final class RewardEnsemble implements RewardScorer {
  private final List<RewardModel> members;
  private final List<RewardTrainer> trainers = new ArrayList<>();
  private final SplittableRandom bootstrap;

  private RewardEnsemble(List<RewardModel> members, long seed) {
    if (members.isEmpty()) {
      throw new IllegalArgumentException("an ensemble needs at least one member");
    }
    this.members = List.copyOf(members);
    this.bootstrap = new SplittableRandom(seed);
  }

  /** Scores of one batch: {@code perMember[k][i]} is member k's reward of example i. */
  public record Scores(double[][] perMember, double[] mean, double[] std) {
    /** Every member's rewards ({@code perMember[k][i]}) with their mean and (population) spread per example. */
    public static Scores of(double[][] perMember) {
      int k = perMember.length;
      int n = perMember[0].length;
      double[] mean = new double[n];
      double[] std = new double[n];
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int i = 0; i < k; i++) {
          s += perMember[i][j];
        }
        mean[j] = s / k;
        double v = 0;
        for (int i = 0; i < k; i++) {
          v += (perMember[i][j] - mean[j]) * (perMember[i][j] - mean[j]);
        }
        std[j] = Math.sqrt(v / k);
      }
      return new Scores(perMember, mean, std);
    }
  }

  /** K members initialised from {@code policy}, member k with head seed {@code seed + k}. */
  public static RewardEnsemble fromPolicy(Policy policy, int size, long seed, double headStd) {
    List<RewardModel> ms = new ArrayList<>();
    for (int k = 0; k < size; k++) {
      ms.add(RewardModel.fromPolicy(policy, seed + k, headStd));
    }
    return new RewardEnsemble(ms, seed);
  }

  /** Loads {@code dir/member-00}, {@code dir/member-01}, ... */
  public static RewardEnsemble load(Path dir, long seed) throws IOException {
    List<RewardModel> ms = new ArrayList<>();
    try (var stream = Files.list(dir)) {
      for (Path p : stream.filter(p -> p.getFileName().toString().startsWith("member-")).sorted().toList()) {
        ms.add(RewardModel.load(p));
      }
    }
    return new RewardEnsemble(ms, seed);
  }

  /** Writes every member as {@code dir/member-NN}. */
  public void save(Path dir) throws IOException {
    for (int k = 0; k < members.size(); k++) {
      members.get(k).save(memberDir(dir, k));
    }
  }

  private static Path memberDir(Path dir, int k) {
    return dir.resolve(String.format("member-%02d", k));
  }

  /**
   * What {@link #weightsToBytes()} gave for the ensemble {@link #save} wrote to {@code dir}, built from
   * the members' files (each is its member's bytes) instead of encoding the weights again.
   */
  public static byte[] savedWeightsToBytes(Path dir) throws IOException {
    List<byte[]> parts = new ArrayList<>();
    for (int k = 0; Files.isDirectory(memberDir(dir, k)); k++) {
      parts.add(BaseModel.savedWeightsToBytes(memberDir(dir, k)));
    }
    if (parts.isEmpty()) {
      throw new IllegalArgumentException(dir + " holds no saved ensemble (no member-00)");
    }
    return payload(parts);
  }

  /**
   * Every member's weights in one payload, for shipping an ensemble as one version: a big-endian
   * int member count, then per member a big-endian int length and its safetensors bytes.
   */
  public byte[] weightsToBytes() {
    List<byte[]> parts = new ArrayList<>();
    for (RewardModel m : members) {
      parts.add(m.weightsToBytes());
    }
    return payload(parts);
  }

  private static byte[] payload(List<byte[]> parts) {
    int total = 4;
    for (byte[] b : parts) {
      total += 4 + b.length;
    }
    java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(total);
    out.putInt(parts.size());
    for (byte[] b : parts) {
      out.putInt(b.length).put(b);
    }
    return out.array();
  }

  /**
   * An ensemble of {@code config}'s shape from a {@link #weightsToBytes()} payload.
   *
   * @throws IllegalArgumentException when the payload is malformed or does not fit the shape
   */
  public static RewardEnsemble fromBytes(ModelConfig config, byte[] payload, long version, long seed) {
    List<byte[]> parts = split(payload);
    List<RewardModel> ms = new ArrayList<>();
    try {
      for (byte[] part : parts) {
        ms.add(RewardModel.fromBytes(config, part, version));
      }
    } catch (RuntimeException e) {
      ms.forEach(RewardModel::close);
      throw e;
    }
    return new RewardEnsemble(ms, seed);
  }

  /**
   * Replaces every member's weights in place from a {@link #weightsToBytes()} payload, all or
   * nothing: the payload is validated (member count, framing) before any member changes.
   */
  public void loadWeights(byte[] payload, long version) {
    List<byte[]> parts = split(payload);
    if (parts.size() != members.size()) {
      throw new IllegalArgumentException("payload has " + parts.size() + " members, this ensemble " + members.size());
    }
    ModelConfig config = members.get(0).config();
    for (byte[] part : parts) {
      // Decode every member before changing any: a part that does not fit leaves the ensemble as it was.
      RewardModel.fromBytes(config, part, version).close();
    }
    for (int k = 0; k < parts.size(); k++) {
      members.get(k).loadWeights(parts.get(k), version);
    }
  }

  private static List<byte[]> split(byte[] payload) {
    java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(payload);
    if (in.remaining() < 4) {
      throw new IllegalArgumentException("ensemble payload too short: " + payload.length + " bytes");
    }
    int count = in.getInt();
    if (count < 1 || count > 1024) {
      throw new IllegalArgumentException("ensemble payload names " + count + " members");
    }
    List<byte[]> parts = new ArrayList<>(count);
    for (int k = 0; k < count; k++) {
      if (in.remaining() < 4) {
        throw new IllegalArgumentException("ensemble payload truncated before member " + k);
      }
      int length = in.getInt();
      if (length < 0 || length > in.remaining()) {
        throw new IllegalArgumentException("ensemble payload truncated in member " + k);
      }
      byte[] b = new byte[length];
      in.get(b);
      parts.add(b);
    }
    if (in.hasRemaining()) {
      throw new IllegalArgumentException("ensemble payload has " + in.remaining() + " trailing bytes");
    }
    return parts;
  }

  public List<RewardModel> members() {
    return members;
  }

  @Override
  public int size() {
    return members.size();
  }

  /** Every member's reward, and per example the mean and (population) standard deviation. */
  @Override
  public Scores score(List<Example> examples) {
    double[][] per = new double[members.size()][];
    for (int i = 0; i < per.length; i++) {
      per[i] = members.get(i).score(examples);
    }
    return Scores.of(per);
  }


  /**
   * One discriminator step per member, each on its own bootstrap resample (with replacement) of the
   * positives and negatives. Optimisers are created on first use from {@code optimizers}.
   */
  public List<StepStats> discriminatorStep(List<Example> positives, List<Example> negatives,
      Supplier<AdamW> optimizers) {
    if (trainers.isEmpty()) {
      members.forEach(m -> trainers.add(new RewardTrainer(m, optimizers.get())));
    }
    List<StepStats> out = new ArrayList<>();
    for (RewardTrainer t : trainers) {
      out.add(t.discriminatorStep(resample(positives), resample(negatives)));
    }
    return out;
  }

  private List<Example> resample(List<Example> xs) {
    if (members.size() == 1) {
      return xs;
    }
    return Example.resample(xs, bootstrap::nextInt);
  }

  @Override
  public void close() {
    trainers.forEach(RewardTrainer::close);
    members.forEach(RewardModel::close);
  }
}
