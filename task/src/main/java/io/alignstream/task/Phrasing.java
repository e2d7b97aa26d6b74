package io.alignstream.task;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One way of asking: a pattern such as {@code "what is {a} {op} {b} ?"} that fills slots into prompt
 * text and, for the judge, reads the slots back out of prompt text.
 */
record Phrasing(String pattern, Pattern regex, List<String> slots) {
  private static final Pattern SLOT = Pattern.compile("\\{([a-z]+)}");

  Phrasing(String pattern) {
    this(pattern, compile(pattern), slotNames(pattern));
  }

  String fill(Map<String, String> values) {
    Matcher m = SLOT.matcher(pattern);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = values.get(m.group(1));
      if (value == null) {
        throw new IllegalArgumentException("phrasing '" + pattern + "' needs slot " + m.group(1));
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** The slot values if {@code text} is this phrasing, whatever the values are. */
  Optional<Map<String, String>> match(String text) {
    Matcher m = regex.matcher(text);
    if (!m.matches()) {
      return Optional.empty();
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < slots.size(); i++) {
      values.put(slots.get(i), m.group(i + 1));
    }
    return Optional.of(values);
  }

  private static Pattern compile(String pattern) {
    Matcher m = SLOT.matcher(pattern);
    StringBuilder regex = new StringBuilder();
    int last = 0;
    while (m.find()) {
      regex.append(Pattern.quote(pattern.substring(last, m.start()))).append("(.+?)");
      last = m.end();
    }
    regex.append(Pattern.quote(pattern.substring(last)));
    return Pattern.compile(regex.toString());
  }

  private static List<String> slotNames(String pattern) {
    List<String> names = new ArrayList<>();
    Matcher m = SLOT.matcher(pattern);
    while (m.find()) {
      names.add(m.group(1));
    }
    return List.copyOf(names);
  }
}
