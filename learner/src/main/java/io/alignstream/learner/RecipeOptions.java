package io.alignstream.learner;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The recipe options every command that trains mixes in: {@code --recipe FILE} and
 * {@code --set KEY=VALUE} (repeatable, applied after the file). The keys and their defaults are in
 * {@code alignstream learner --help} ({@link LearnerCommand#withRecipeHelp}).
 */
public final class RecipeOptions {
  @Option(names = "--recipe", paramLabel = "FILE", description = "Recipe file (key = value lines).")
  private Path file;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override one recipe key (see 'alignstream learner --help'); repeatable; applied after --recipe.")
  private List<String> overrides = new ArrayList<>();

  /** The recipe file, or null for none. */
  public Path file() {
    return file;
  }

  /** The {@code key=value} changes, in order. */
  public List<String> overrides() {
    return List.copyOf(overrides);
  }

  /** The defaults changed by the file, then by {@code first} (a command's own settings), then by {@code --set}, which wins. */
  public Recipe load(List<String> first) {
    List<String> sets = new ArrayList<>(first);
    sets.addAll(overrides);
    return Recipe.load(file, sets);
  }

  /** The defaults changed by the file, then {@code --set}. */
  public Recipe load() {
    return load(List.of());
  }
}
