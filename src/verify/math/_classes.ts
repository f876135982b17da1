/**
 * Labelled pairs for the answer forms and equivalence classes of issue 14, one group per class, each with
 * positives and near-miss negatives: [gold, response answer, expected verdict, optional problem text].
 * The pairs are data, in `_classes.json`. Used by `classes_test.ts` and by the determinism test.
 *
 * @module
 */
import { labelledGroups, type Row } from "./_pairs.ts";
import classes from "./_classes.json" with { type: "json" };

/** The labelled pairs of each answer form and equivalence class. */
export const CLASS_GROUPS: [string, Row[]][] = labelledGroups(classes, "_classes.json");
