package io.alignstream.learner;

import io.alignstream.model.DiscriminatorConfig.Source;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** How a recipe's values are read and checked: each failure is one line that names the key and says what fits. */
final class RecipeValues {
  private RecipeValues() {}

  static Source source(String key, String value) {
    for (Source s : Source.values()) {
      if (Recipe.name(s).equals(value.toLowerCase(Locale.ROOT)) || aliases(s).contains(value.toLowerCase(Locale.ROOT))) {
        return s;
      }
    }
    throw new IllegalArgumentException("recipe: " + key + "=" + value
        + " is not a sample source; use one of demonstrations, init_samples, sft_samples, current_policy_samples");
  }

  static List<String> aliases(Source s) {
    return switch (s) {
      case DEMONSTRATIONS -> List.of("demos", "demo");
      case INIT_SAMPLES -> List.of("init", "base");
      case SFT_SAMPLES -> List.of("sft");
      case CURRENT_POLICY_SAMPLES -> List.of("policy", "current");
    };
  }

  static boolean bool(String key, String value) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1" -> true;
      case "false", "no", "0" -> false;
      default -> throw new IllegalArgumentException("recipe: " + key + "=" + value + " is not true or false");
    };
  }

  /** The enum constant whose {@link #name} {@code value} is (case, dashes and spaces aside); {@code use} says what else. */
  static <E extends Enum<E>> E choice(String key, String value, Class<E> type, String use) {
    String v = value.trim().toLowerCase(Locale.ROOT).replace('-', '_');
    for (E e : type.getEnumConstants()) {
      if (Recipe.name(e).equals(v)) {
        return e;
      }
    }
    throw new IllegalArgumentException("recipe: " + key + "=" + value + " is not " + use);
  }

  static <T> T parse(String key, String value, Function<String, T> parser, String what) {
    try {
      return parser.apply(value.trim());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("recipe: " + key + "=" + value + " is not " + what);
    }
  }

  static void positive(String key, double value) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("recipe: " + key + " must be positive, got " + value);
    }
  }

  static void atLeast(String key, double value, double min) {
    if (!(value >= min) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("recipe: " + key + " must be at least " + min + ", got " + value);
    }
  }
}
