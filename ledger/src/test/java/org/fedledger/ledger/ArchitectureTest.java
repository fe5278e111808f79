package org.fedledger.ledger;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The dependency rules of the module README, enforced. */
class ArchitectureTest {
  static final JavaClasses MAIN = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("org.fedledger.ledger");

  @Test
  void ledgerPointsOnlyDown() {
    noClasses().should().dependOnClassesThat().resideInAnyPackage("io.netty..", "io.grpc..",
        "org.fedledger.consensus..", "org.fedledger.contracts..", "org.fedledger.node..").check(MAIN);
  }

  @Test
  void onlyTheStoreSeesRocksDb() {
    noClasses().that().resideOutsideOfPackage("org.fedledger.ledger.store..")
        .should().dependOnClassesThat().resideInAnyPackage("org.rocksdb..").check(MAIN);
  }

  @Test
  void executionAndContractsHaveNoClockOrHashOrder() {
    noClasses().that().resideInAnyPackage("org.fedledger.ledger.exec..", "org.fedledger.ledger.registry..")
        .should().dependOnClassesThat().haveFullyQualifiedName("java.util.HashMap")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.HashSet")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.Random")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.security.SecureRandom")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.time.Instant")
        .orShould().callMethod(System.class, "currentTimeMillis")
        .orShould().callMethod(System.class, "nanoTime")
        .check(MAIN);
  }
}
