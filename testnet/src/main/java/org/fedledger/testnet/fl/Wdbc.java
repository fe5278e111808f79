package org.fedledger.testnet.fl;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The Wisconsin Diagnostic Breast Cancer data set bundled at {@code /data/wdbc.csv} (see the
 * README beside it for its origin and licence).
 *
 * <p>The file's first line is not a header of names but of counts ({@code 569,30,malignant,benign}:
 * rows, features, label names); it is checked against what follows. Every other line holds
 * 30 feature values and the label (0 = malignant, 1 = benign).
 */
public final class Wdbc {
  /** Features per patient. */
  public static final int FEATURES = 30;
  /** Path of the bundled copy on the class path. */
  public static final String RESOURCE = "/data/wdbc.csv";

  private Wdbc() {}

  /** Loads the bundled copy. */
  public static List<Sample> load() {
    InputStream in = Wdbc.class.getResourceAsStream(RESOURCE);
    if (in == null) {
      throw new IllegalStateException(RESOURCE + " is not on the class path");
    }
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
      return parse(r);
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + RESOURCE, e);
    }
  }

  /** Parses the sklearn layout: a count line, then {@code rows} lines of features and label. */
  static List<Sample> parse(BufferedReader r) throws IOException {
    String head = r.readLine();
    if (head == null) {
      throw new IllegalArgumentException("empty WDBC file");
    }
    String[] h = head.split(",");
    if (h.length != 4) {
      throw new IllegalArgumentException("first line must be 'rows,features,name0,name1', got '" + head + "'");
    }
    int rows = Integer.parseInt(h[0].trim());
    int features = Integer.parseInt(h[1].trim());
    if (features != FEATURES) {
      throw new IllegalArgumentException("header says " + features + " features, expected " + FEATURES);
    }
    List<Sample> out = new ArrayList<>(rows);
    String line;
    int lineNo = 1;
    while ((line = r.readLine()) != null) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      String[] cells = line.split(",");
      if (cells.length != FEATURES + 1) {
        throw new IllegalArgumentException("line " + lineNo + " has " + cells.length + " cells, expected " + (FEATURES + 1));
      }
      double[] x = new double[FEATURES];
      for (int j = 0; j < FEATURES; j++) {
        x[j] = Double.parseDouble(cells[j].trim());
        if (!Double.isFinite(x[j])) {
          throw new IllegalArgumentException("line " + lineNo + " feature " + j + " is not finite");
        }
      }
      out.add(new Sample(x, Integer.parseInt(cells[FEATURES].trim())));
    }
    if (out.size() != rows) {
      throw new IllegalArgumentException("header says " + rows + " rows, file has " + out.size());
    }
    return List.copyOf(out);
  }
}
