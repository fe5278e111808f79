package org.fedledger.consensus;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The dependency rules of the module README, enforced. */
class ArchitectureTest {
  static final JavaClasses MAIN = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("org.fedledger.consensus");

  @Test
  void consensusNeverSeesTheNetworkTheDiskOrTheContracts() {
    noClasses().should().dependOnClassesThat().resideInAnyPackage("io.netty..", "io.grpc..", "org.rocksdb..",
        "org.fedledger.contracts..", "org.fedledger.node..", "org.fedledger.ledger.store..").check(MAIN);
  }

  @Test
  void theReplicaHasNoClockThreadsRandomnessOrHashOrder() {
    noClasses().should().dependOnClassesThat().haveFullyQualifiedName("java.util.HashMap")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.HashSet")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.Random")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.SplittableRandom")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.security.SecureRandom")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.lang.Thread")
        .orShould().dependOnClassesThat().resideInAnyPackage("java.util.concurrent..", "java.time..", "java.io..",
            "java.nio.file..", "java.net..")
        .orShould().callMethod(System.class, "currentTimeMillis")
        .orShould().callMethod(System.class, "nanoTime")
        .check(MAIN);
  }
}
