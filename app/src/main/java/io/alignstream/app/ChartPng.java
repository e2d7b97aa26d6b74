package io.alignstream.app;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Small PNG charts for reports, drawn with Java2D so a report needs nothing but the JDK. */
final class ChartPng {
  private static final int W = 760;
  private static final int H = 380;
  private static final int LEFT = 70;
  private static final int RIGHT = 24;
  private static final int TOP = 48;
  private static final int BOTTOM = 56;
  private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
      new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b)};

  private ChartPng() {}

  /** A named series of (x, y) points. */
  record Series(String name, double[] x, double[] y) {}

  /** One labelled bar. */
  record Bar(String label, double value) {}

  static void bars(Path file, String title, String yLabel, List<Bar> bars, double yMax) throws IOException {
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(img, title);
    double max = yMax > 0 ? yMax : bars.stream().mapToDouble(Bar::value).max().orElse(1) * 1.1;
    axes(g, 0, max, yLabel, null);
    int plotW = W - LEFT - RIGHT;
    int n = bars.size();
    int slot = plotW / Math.max(1, n);
    int barW = (int) (slot * 0.6);
    for (int i = 0; i < n; i++) {
      Bar b = bars.get(i);
      int h = (int) ((H - TOP - BOTTOM) * Math.min(1, b.value() / max));
      int x = LEFT + i * slot + (slot - barW) / 2;
      g.setColor(PALETTE[i % PALETTE.length]);
      g.fillRect(x, H - BOTTOM - h, barW, h);
      g.setColor(Color.DARK_GRAY);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
      String v = String.format(Locale.ROOT, "%.1f%%", 100 * b.value());
      g.drawString(v, x + (barW - g.getFontMetrics().stringWidth(v)) / 2, H - BOTTOM - h - 6);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      // Long labels ("best-of-16 (AfD RM)") break before their parenthesis so neighbours do not overlap.
      int cut = b.label().indexOf(" (");
      String[] lines = cut < 0 ? new String[] {b.label()}
          : new String[] {b.label().substring(0, cut), b.label().substring(cut + 1)};
      for (int l = 0; l < lines.length; l++) {
        g.drawString(lines[l], x + (barW - g.getFontMetrics().stringWidth(lines[l])) / 2, H - BOTTOM + 18 + 15 * l);
      }
    }
    finish(g, img, file);
  }

  static void lines(Path file, String title, String xLabel, String yLabel, List<Series> series) throws IOException {
    lines(file, title, xLabel, yLabel, series, Double.NaN, Double.NaN);
  }

  /** Lines on a fixed y range (e.g. 0 to 1 for a success rate), or the data's range when NaN. */
  static void lines(Path file, String title, String xLabel, String yLabel, List<Series> series, double fixedYMin,
      double fixedYMax) throws IOException {
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(img, title);
    double xMin = Double.POSITIVE_INFINITY;
    double xMax = Double.NEGATIVE_INFINITY;
    double yMin = Double.POSITIVE_INFINITY;
    double yMax = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      for (int i = 0; i < s.x().length; i++) {
        if (Double.isFinite(s.y()[i])) {
          xMin = Math.min(xMin, s.x()[i]);
          xMax = Math.max(xMax, s.x()[i]);
          yMin = Math.min(yMin, s.y()[i]);
          yMax = Math.max(yMax, s.y()[i]);
        }
      }
    }
    if (!Double.isFinite(xMin)) {
      xMin = 0;
      xMax = 1;
      yMin = 0;
      yMax = 1;
    }
    if (yMax - yMin < 1e-9) {
      yMax = yMin + 1;
    }
    double pad = (yMax - yMin) * 0.05;
    yMin -= pad;
    yMax += pad;
    if (!Double.isNaN(fixedYMin)) {
      yMin = fixedYMin;
      yMax = fixedYMax;
    }
    if (xMax - xMin < 1e-9) {
      xMax = xMin + 1;
    }
    axes(g, yMin, yMax, yLabel, xLabel);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    g.setColor(Color.DARK_GRAY);
    for (int t = 0; t <= 4; t++) {
      double xv = xMin + (xMax - xMin) * t / 4;
      String s = compact(xv);
      int px = px(xv, xMin, xMax);
      g.drawString(s, px - g.getFontMetrics().stringWidth(s) / 2, H - BOTTOM + 16);
    }
    int legendX = LEFT + 10;
    for (int k = 0; k < series.size(); k++) {
      Series s = series.get(k);
      Color c = PALETTE[k % PALETTE.length];
      g.setColor(c);
      g.setStroke(new BasicStroke(2.2f));
      int prevX = -1;
      int prevY = -1;
      for (int i = 0; i < s.x().length; i++) {
        if (!Double.isFinite(s.y()[i])) {
          continue;
        }
        int x = px(s.x()[i], xMin, xMax);
        int y = py(s.y()[i], yMin, yMax);
        if (prevX >= 0) {
          g.drawLine(prevX, prevY, x, y);
        }
        g.fillOval(x - 3, y - 3, 6, 6);
        prevX = x;
        prevY = y;
      }
      g.fillRect(legendX, TOP - 18, 14, 4);
      g.setColor(Color.DARK_GRAY);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      g.drawString(s.name(), legendX + 18, TOP - 13);
      legendX += 30 + g.getFontMetrics().stringWidth(s.name());
    }
    finish(g, img, file);
  }

  private static Graphics2D canvas(BufferedImage img, String title) {
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, W, H);
    g.setColor(new Color(0x222222));
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString(title, LEFT, 20);
    return g;
  }

  private static void axes(Graphics2D g, double yMin, double yMax, String yLabel, String xLabel) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    for (int t = 0; t <= 4; t++) {
      double v = yMin + (yMax - yMin) * t / 4;
      int y = py(v, yMin, yMax);
      g.setColor(new Color(0xe6e6e6));
      g.drawLine(LEFT, y, W - RIGHT, y);
      g.setColor(Color.DARK_GRAY);
      String s = compact(v);
      g.drawString(s, LEFT - 8 - g.getFontMetrics().stringWidth(s), y + 4);
    }
    g.setColor(Color.GRAY);
    g.drawLine(LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM);
    g.drawLine(LEFT, TOP, LEFT, H - BOTTOM);
    g.setColor(Color.DARK_GRAY);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    if (xLabel != null) {
      g.drawString(xLabel, LEFT + (W - LEFT - RIGHT - g.getFontMetrics().stringWidth(xLabel)) / 2, H - 14);
    }
    var old = g.getTransform();
    g.rotate(-Math.PI / 2);
    g.drawString(yLabel, -(TOP + (H - TOP - BOTTOM + g.getFontMetrics().stringWidth(yLabel)) / 2), 16);
    g.setTransform(old);
  }

  private static int px(double x, double min, double max) {
    return LEFT + (int) Math.round((W - LEFT - RIGHT) * (x - min) / (max - min));
  }

  private static int py(double y, double min, double max) {
    return H - BOTTOM - (int) Math.round((H - TOP - BOTTOM) * (y - min) / (max - min));
  }

  private static String compact(double v) {
    double a = Math.abs(v);
    if (a >= 1000) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (a >= 10 || v == Math.rint(v)) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    return String.format(Locale.ROOT, a >= 1 ? "%.1f" : "%.2f", v);
  }

  private static void finish(Graphics2D g, BufferedImage img, Path file) throws IOException {
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
  }
}
