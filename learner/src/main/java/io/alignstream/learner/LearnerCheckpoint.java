package io.alignstream.learner;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.model.AdamW;
import io.alignstream.model.CheckpointStore;
import io.alignstream.model.Policy;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The layout of one learner checkpoint directory: the whole learner state, so that a restored learner
 * continues bit for bit as if it had never stopped.
 *
 * <pre>
 *   policy/                 π_θ as a model directory (config.json, model.safetensors, tokenizer.json; with
 *                           LoRA, model.safetensors is frozen π_0 and the adapter is beside it in PEFT's layout)
 *   base/                   π_0, the same way
 *   anchor/                 π_SFT frozen, under the anchored ranking only (after SFT)
 *   reward/                 the reward ensemble (after SFT)
 *   policy-optimizer/       the loop's policy optimiser (after SFT)
 *   reward-optimizer-K/     each ensemble member's optimiser (after SFT)
 *   learner.json            version, counters, recipe, sample pools and the caller's extra values
 * </pre>
 *
 * Versioned directories of these live in a {@link io.alignstream.model.CheckpointStore}, which writes
 * each one beside and renames it into place.
 */
public final class LearnerCheckpoint {
  static final String POLICY = "policy";
  static final String BASE = "base";
  static final String ANCHOR = "anchor";
  static final String REWARD = "reward";
  static final String POLICY_OPTIMIZER = "policy-optimizer";
  /** Its presence marks a learner checkpoint. */
  public static final String STATE_FILE = "learner.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private LearnerCheckpoint() {}

  /**
   * Writes {@code learner}'s whole state and the caller's {@code extra} (e.g. input offsets) into the empty
   * directory {@code dir}. π_0 and π_SFT are frozen for the whole run, so where {@code previous} (an earlier
   * checkpoint of the same run, or null) holds them, their files are hard-linked from it rather than written
   * again: two model writes less per update (about 1 GB at SmolLM2's shape), and a link keeps its data alive
   * when the earlier checkpoint is pruned. Where links cannot be made they are written.
   */
  static void write(Learner learner, Path dir, Map<String, Object> extra, Path previous) throws IOException {
    learner.policy().save(dir.resolve(POLICY));
    learner.tokenizer().save(dir.resolve(POLICY));
    if (!linked(previous, dir, BASE)) {
      learner.base().save(dir.resolve(BASE));
      learner.tokenizer().save(dir.resolve(BASE));
    }
    if (learner.discriminator() != null) {
      learner.discriminator().save(dir);
      learner.policyStep().optimizer().save(Files.createDirectories(dir.resolve(POLICY_OPTIMIZER)));
      if (learner.anchor() != null && !linked(previous, dir, ANCHOR)) {
        learner.anchor().save(dir.resolve(ANCHOR));
      }
    }
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("version", learner.version());
    state.put("updates", learner.updates());
    state.put("trainedSamples", learner.trainedSamples());
    state.put("recipe", learner.recipe().toMap());
    state.put("pool", learner.pool().toJson());
    state.put("holdout", learner.holdout().toJson());
    state.put("extra", extra);
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(STATE_FILE).toFile(), state);
  }

  /** Hard-links every file of {@code previous/name} into {@code dir/name}; false (and nothing left) if it cannot. */
  private static boolean linked(Path previous, Path dir, String name) throws IOException {
    Path from = previous == null ? null : previous.resolve(name);
    if (from == null || !Files.isDirectory(from)) {
      return false;
    }
    Path to = dir.resolve(name);
    try {
      mirror(from, to, (target, file) -> Files.createLink(target, file));
      return true;
    } catch (IOException | UnsupportedOperationException e) { // another file system, or none that links
      CheckpointStore.deleteRecursively(to);
      return false;
    }
  }

  /** Restores a learner written by {@link #write}; the recipe is the caller's (it may differ on purpose). */
  @SuppressWarnings("unchecked")
  static Learner read(Path dir, Recipe recipe) throws IOException {
    Map<String, Object> state = JSON.readValue(dir.resolve(STATE_FILE).toFile(), Map.class);
    Tokenizer tokenizer = Tokenizer.load(dir.resolve(POLICY));
    Learner l = new Learner(recipe, tokenizer, Policy.load(dir.resolve(BASE)), Policy.load(dir.resolve(POLICY)));
    l.restoreCounters(((Number) state.get("version")).longValue(), ((Number) state.get("updates")).longValue(),
        ((Number) state.get("trainedSamples")).longValue());
    l.pool().fromJson((Map<String, List<List<List<Number>>>>) state.get("pool"));
    l.holdout().fromJson((Map<String, List<List<List<Number>>>>) state.get("holdout"));
    if (Files.isDirectory(dir.resolve(REWARD))) {
      Path anchor = dir.resolve(ANCHOR);
      l.startLoop(Discriminator.load(dir, recipe), AdamW.load(dir.resolve(POLICY_OPTIMIZER)),
          Files.isDirectory(anchor) ? Policy.load(anchor) : null);
    }
    return l;
  }

  /** π_θ of checkpoint {@code dir} as a model directory (config.json, model.safetensors, tokenizer.json). */
  public static Path policyDir(Path dir) {
    return dir.resolve(POLICY);
  }

  /** The reward ensemble of checkpoint {@code dir}, as {@link RewardEnsemble#load} reads it. */
  public static Path rewardDir(Path dir) {
    return dir.resolve(REWARD);
  }

  /**
   * The policy's {@code weightsToBytes()} as checkpoint {@code dir} holds it: byte for byte what
   * encoding the learner's policy again would give right after writing it, without the encoding.
   */
  public static byte[] policyBytes(Path dir) throws IOException {
    return Policy.savedWeightsToBytes(dir.resolve(POLICY));
  }

  /** The policy's {@code adapterToBytes()} as checkpoint {@code dir} holds it, for a policy that trains an adapter. */
  public static byte[] policyAdapterBytes(Path dir) throws IOException {
    return Policy.savedAdapterToBytes(dir.resolve(POLICY));
  }

  /** The reward ensemble's {@code weightsToBytes()} as checkpoint {@code dir} holds it (see {@link #policyBytes}). */
  public static byte[] rewardBytes(Path dir) throws IOException {
    return RewardEnsemble.savedWeightsToBytes(dir.resolve(REWARD));
  }

  /**
   * Copies checkpoint {@code dir}'s policy to {@code policyOut} as a model directory, and its reward
   * ensemble to {@code rewardOut}: the run's models, file for file as the learner saved them.
   */
  public static void exportModels(Path dir, Path policyOut, Path rewardOut) throws IOException {
    copyTree(dir.resolve(POLICY), policyOut);
    copyTree(dir.resolve(REWARD), rewardOut);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    mirror(from, to, (target, file) -> Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING));
  }

  /** What {@link #mirror} does with each file: puts it at {@code target}. */
  private interface FileAction {
    void put(Path target, Path file) throws IOException;
  }

  /** Recreates {@code from}'s directories under {@code to} and puts each file there through {@code action}. */
  private static void mirror(Path from, Path to, FileAction action) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          action.put(target, p);
        }
      }
    }
  }

  /** The caller's {@code extra} map written with a checkpoint. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> extra(Path dir) throws IOException {
    Map<String, Object> state = JSON.readValue(dir.resolve(STATE_FILE).toFile(), Map.class);
    return (Map<String, Object>) state.getOrDefault("extra", Map.of());
  }
}
