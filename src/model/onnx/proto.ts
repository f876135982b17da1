/**
 * The subset of `onnx.proto` this project writes, declared with protobufjs reflection (field numbers follow
 * the official ONNX schema), and an encoder from plain objects to ModelProto bytes.
 *
 * @module
 */
import protobuf from "protobufjs";

/** ONNX TensorProto.DataType codes for the element types the graph builder uses. */
export const DATA_TYPE = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
} as const;

/** ONNX AttributeProto.AttributeType codes. */
export const ATTRIBUTE_TYPE = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

const field = (type: string, id: number, rule?: "repeated") => (rule ? { type, id, rule } : { type, id });

const schema = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: { fields: { key: field("string", 1), value: field("string", 2) } },
        OperatorSetIdProto: { fields: { domain: field("string", 1), version: field("int64", 2) } },
        TensorProto: {
          fields: {
            dims: field("int64", 1, "repeated"),
            dataType: field("int32", 2),
            floatData: field("float", 4, "repeated"),
            int32Data: field("int32", 5, "repeated"),
            int64Data: field("int64", 7, "repeated"),
            name: field("string", 8),
            rawData: field("bytes", 9),
            doubleData: field("double", 10, "repeated"),
            docString: field("string", 12),
            externalData: field("StringStringEntryProto", 13, "repeated"),
            dataLocation: field("int32", 14),
          },
        },
        AttributeProto: {
          fields: {
            name: field("string", 1),
            f: field("float", 2),
            i: field("int64", 3),
            s: field("bytes", 4),
            t: field("TensorProto", 5),
            floats: field("float", 7, "repeated"),
            ints: field("int64", 8, "repeated"),
            strings: field("bytes", 9, "repeated"),
            type: field("int32", 20),
          },
        },
        NodeProto: {
          fields: {
            input: field("string", 1, "repeated"),
            output: field("string", 2, "repeated"),
            name: field("string", 3),
            opType: field("string", 4),
            attribute: field("AttributeProto", 5, "repeated"),
            docString: field("string", 6),
            domain: field("string", 7),
          },
        },
        Dimension: { fields: { dimValue: field("int64", 1), dimParam: field("string", 2) } },
        TensorShapeProto: { fields: { dim: field("Dimension", 1, "repeated") } },
        TensorTypeProto: { fields: { elemType: field("int32", 1), shape: field("TensorShapeProto", 2) } },
        TypeProto: { fields: { tensorType: field("TensorTypeProto", 1) } },
        ValueInfoProto: { fields: { name: field("string", 1), type: field("TypeProto", 2) } },
        GraphProto: {
          fields: {
            node: field("NodeProto", 1, "repeated"),
            name: field("string", 2),
            initializer: field("TensorProto", 5, "repeated"),
            docString: field("string", 10),
            input: field("ValueInfoProto", 11, "repeated"),
            output: field("ValueInfoProto", 12, "repeated"),
          },
        },
        ModelProto: {
          fields: {
            irVersion: field("int64", 1),
            producerName: field("string", 2),
            producerVersion: field("string", 3),
            docString: field("string", 6),
            graph: field("GraphProto", 7),
            opsetImport: field("OperatorSetIdProto", 8, "repeated"),
            metadataProps: field("StringStringEntryProto", 14, "repeated"),
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(schema);
const ModelProto = root.lookupType("onnx.ModelProto");

/** A TensorProto as a plain object (camelCase field names). */
export interface TensorProtoObject {
  name: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
  externalData?: { key: string; value: string }[];
  dataLocation?: number;
}

/** An AttributeProto as a plain object. */
export interface AttributeProtoObject {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProtoObject;
  floats?: number[];
  ints?: number[];
}

/** A ValueInfoProto for a tensor: name, element type and dims (numbers or symbolic names). */
export interface ValueInfoObject {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: ({ dimValue: number } | { dimParam: string })[] } } };
}

/** A NodeProto as a plain object. */
export interface NodeProtoObject {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: AttributeProtoObject[];
  domain?: string;
}

/** A ModelProto as a plain object. */
export interface ModelProtoObject {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  opsetImport: { domain: string; version: number }[];
  graph: {
    name: string;
    node: NodeProtoObject[];
    initializer: TensorProtoObject[];
    input: ValueInfoObject[];
    output: ValueInfoObject[];
  };
  metadataProps?: { key: string; value: string }[];
}

/** Serializes a ModelProto object to the bytes of an `.onnx` file. */
export function encodeModel(model: ModelProtoObject): Uint8Array {
  const problem = ModelProto.verify(model);
  if (problem) throw new Error(`onnx: invalid ModelProto: ${problem}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}
