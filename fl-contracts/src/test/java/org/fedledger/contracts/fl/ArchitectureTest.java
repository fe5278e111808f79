package org.fedledger.contracts.fl;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The dependency rules of the module README, enforced. */
class ArchitectureTest {
  static final JavaClasses MAIN = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("org.fedledger.contracts");

  @Test
  void contractsNeverSeeTheNetworkOrTheDisk() {
    noClasses().should().dependOnClassesThat().resideInAnyPackage("io.netty..", "io.grpc..", "org.rocksdb..",
        "org.fedledger.consensus..", "org.fedledger.node..").check(MAIN);
  }

  @Test
  void theMathIsPureJava() {
    classes().that().resideInAnyPackage("..contracts.fl.aggregation..", "..contracts.fl.reputation..")
        .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "..contracts.fl.aggregation..",
            "..contracts.fl.reputation..")
        .check(MAIN);
  }

  @Test
  void noHashOrderedCollectionsOrClocksInContracts() {
    noClasses().should().dependOnClassesThat().haveFullyQualifiedName("java.util.HashMap")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.HashSet")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.Random")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.time.Instant")
        .orShould().callMethod(System.class, "currentTimeMillis")
        .orShould().callMethod(System.class, "nanoTime")
        .check(MAIN);
  }
}
