package io.alignstream.model;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Versioned checkpoints under one root: {@code ROOT/v000042/} holds a model directory
 * ({@code config.json}, {@code model.safetensors}, {@code tokenizer.json} when given), the optimiser
 * state ({@code optimizer.safetensors}, {@code optimizer.json}) and {@code checkpoint.json}
 * (version, kind, caller's metadata), or whatever layout a caller writes with {@link #write}. A
 * checkpoint is written to a temporary directory and renamed into place, so a reader never sees a
 * half-written one. Loading it back and continuing training
 * gives bit-identical weights to never having stopped.
 */
public final class CheckpointStore {
  public static final String META_FILE = "checkpoint.json";
  private static final Pattern NAME = Pattern.compile("v\\d{6,}");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path root;

  public CheckpointStore(Path root) {
    this.root = root;
  }

  public Path root() {
    return root;
  }

  /** Directory of a version: {@code ROOT/v000042}. */
  public Path directory(long version) {
    return root.resolve(String.format("v%06d", version));
  }

  /**
   * Writes a checkpoint of {@code model} (a {@link Policy} or {@link RewardModel}).
   *
   * @param optimizer its optimiser, or null for weights only
   * @param tokenizer copied in when not null, so the directory is a complete model directory
   * @param metadata small JSON-serialisable values (step, loss, data offsets...)
   * @return the checkpoint directory
   */
  public Path save(long version, BaseModel model, AdamW optimizer, Tokenizer tokenizer, Map<String, ?> metadata)
      throws IOException {
    return write(version, tmp -> {
      model.save(tmp);
      if (optimizer != null) {
        optimizer.save(tmp);
      }
      if (tokenizer != null) {
        tokenizer.save(tmp);
      }
      Map<String, Object> meta = new LinkedHashMap<>();
      meta.put("version", version);
      meta.put("kind", model instanceof RewardModel ? "reward" : "policy");
      meta.put("modelVersion", model.version());
      meta.put("metadata", metadata == null ? Map.of() : metadata);
      Files.writeString(tmp.resolve(META_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(meta));
    });
  }

  /** Writes what a checkpoint holds into its (empty, temporary) directory. */
  public interface Contents {
    void writeTo(Path dir) throws IOException;
  }

  /**
   * Writes a checkpoint of any layout: {@code contents} fills a temporary directory beside the
   * version's, which is then renamed into place (replacing an older one of the same version).
   *
   * @return the checkpoint directory
   */
  public Path write(long version, Contents contents) throws IOException {
    Files.createDirectories(root);
    Path target = directory(version);
    Path tmp = Files.createTempDirectory(root, ".tmp-" + target.getFileName());
    try {
      contents.writeTo(tmp);
      if (Files.exists(target)) {
        deleteRecursively(target);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } catch (IOException | RuntimeException e) {
      deleteRecursively(tmp);
      throw e;
    }
  }

  /** Deletes all but the newest {@code keep} checkpoints, never those of {@code pinned} versions. */
  public void prune(int keep, Set<Long> pinned) throws IOException {
    List<Long> all = versions();
    for (int i = 0; i < all.size() - keep; i++) {
      if (!pinned.contains(all.get(i))) {
        deleteRecursively(directory(all.get(i)));
      }
    }
  }

  /** Checkpoint versions present, ascending. */
  public List<Long> versions() throws IOException {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (var s = Files.list(root)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> NAME.matcher(n).matches())
          .map(n -> Long.parseLong(n.substring(1)))
          .sorted()
          .toList();
    }
  }

  /** The newest checkpoint directory, if any. */
  public Optional<Path> latest() throws IOException {
    List<Long> v = versions();
    return v.isEmpty() ? Optional.empty() : Optional.of(directory(v.get(v.size() - 1)));
  }

  /** The {@code metadata} map a checkpoint was saved with. */
  public static Map<String, Object> metadata(Path checkpoint) throws IOException {
    Map<String, Object> all = JSON.readValue(checkpoint.resolve(META_FILE).toFile(), new TypeReference<>() {});
    @SuppressWarnings("unchecked")
    Map<String, Object> meta = (Map<String, Object>) all.getOrDefault("metadata", Map.of());
    return meta;
  }

  /** A policy from a checkpoint directory, with the weights version it was saved at. */
  public static Policy loadPolicy(Path checkpoint) throws IOException {
    Policy p = Policy.load(checkpoint);
    p.setVersion(modelVersion(checkpoint));
    return p;
  }

  /** A reward model from a checkpoint directory, with the weights version it was saved at. */
  public static RewardModel loadRewardModel(Path checkpoint) throws IOException {
    RewardModel r = RewardModel.load(checkpoint);
    r.setVersion(modelVersion(checkpoint));
    return r;
  }

  /** The optimiser saved in a checkpoint directory. */
  public static AdamW loadOptimizer(Path checkpoint) throws IOException {
    if (!Files.exists(checkpoint.resolve(AdamW.META_FILE))) {
      throw new IllegalArgumentException(checkpoint + " holds no optimiser state");
    }
    return AdamW.load(checkpoint);
  }

  private static long modelVersion(Path checkpoint) throws IOException {
    Path meta = checkpoint.resolve(META_FILE);
    return Files.exists(meta) ? JSON.readTree(meta.toFile()).path("modelVersion").asLong(0) : 0;
  }

  /** Deletes {@code dir} and everything below it; nothing when it does not exist. */
  public static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
