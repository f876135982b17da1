/**
 * Writes a serialized model to disk: the `.onnx` file and, when weights went to external data, the data file
 * beside it (ONNX resolves external data relative to the model file).
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { SerializedModel } from "./graph.ts";

/** Writes `model` to `path` (e.g. `DIR/onnx/model.onnx`) and its external data next to it; returns the paths. */
export async function saveModel(path: string, model: SerializedModel): Promise<string[]> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeFile(path, model.onnx);
  if (!model.externalData) return [path];
  const dataPath = join(dirname(path), model.externalData.file);
  await Deno.writeFile(dataPath, model.externalData.bytes);
  return [path, dataPath];
}
