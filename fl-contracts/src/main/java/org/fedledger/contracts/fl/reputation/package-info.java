/**
 * Beta reputation with decay for FL participants, and the outcome rule that decides what a
 * round's filter result counts as (selected, neutral, filtered). Pure double arithmetic in a
 * fixed order; depends only on java.* and the aggregation package, never on the ledger.
 */
package org.fedledger.contracts.fl.reputation;
