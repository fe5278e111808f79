package org.fedledger.testnet.sim;

import org.fedledger.proto.AggregationRule;
import org.fedledger.testnet.attack.AttackMode;

class Probe {
  public static void main(String[] a) {
    AttackMode mode = AttackMode.valueOf(a[0]);
    AggregationRule rule = AggregationRule.valueOf(a[1]);
    int att = Integer.parseInt(a[2]);
    int folds = Integer.parseInt(a[3]);
    double sum = 0;
    for (int f = 0; f < folds; f++) {
      double[][] hist = new double[20][];
      long t0 = System.nanoTime();
      ExperimentResult r = new Experiment(ExperimentConfig.standard(att, mode, rule, f), (round, g, ups, next) -> {
        if (!Boolean.getBoolean("debug.krum") || round > 6) return;
        int n = ups.size(), d = g.length, fF = att;
        double[] sc = new double[n];
        for (int i = 0; i < n; i++) {
          double[] ds = new double[n - 1]; int q = 0;
          for (int j = 0; j < n; j++) { if (j == i) continue; double e = 0; for (int k = 0; k < d; k++) { double t = ups.get(i)[k] - ups.get(j)[k]; e += t * t; } ds[q++] = e; }
          java.util.Arrays.sort(ds);
          for (int k = 0; k < n - fF - 2; k++) sc[i] += ds[k];
        }
        double[] so = sc.clone(); java.util.Arrays.sort(so); double med = so[(n - 1) / 2];
        StringBuilder sb = new StringBuilder("r" + round);
        for (int i = 0; i < n; i++) sb.append(String.format(" %.1f", sc[i] / med));
        System.out.println(sb);
      }).run();
      sum += r.finalAccuracy();
      StringBuilder sb = new StringBuilder();
      for (var e : r.rounds()) sb.append(String.format(" %.3f", e.accuracy()));
      System.out.printf("fold %d acc %.4f auc %.4f %dms%n  %s%n", f, r.finalAccuracy(), r.finalAuc(), (System.nanoTime()-t0)/1000000, sb);
      for (var c : r.clients()) System.out.printf("  %s susp %2d %s %.3f%n", c.name(), c.suspendedRound(), c.outcomes(), c.scores().get(c.scores().size()-1));
    }
    System.out.printf("MEAN %s %s %d: %.4f%n", mode, rule, att, sum / folds);
  }
}
