// The ONNX protobuf schema (onnx/onnx.proto, proto2), declared in code with protobufjs
// reflection so no protoc step or .proto file ships. Field names and numbers follow the
// spec exactly; decoded messages therefore read `node.op_type`, `tensor.raw_data`.
// Messages kiln never interprets (training info, quantization annotations) are left
// out: protobuf skips unknown fields, so models carrying them still decode.
import protobuf from 'protobufjs';

const { Root, Type, Field, OneOf, Enum } = protobuf;

type FieldSpec = [name: string, id: number, type: string, rule?: 'repeated'];

function message(name: string, fields: FieldSpec[], oneofs: Record<string, string[]> = {}): protobuf.Type {
  const t = new Type(name);
  for (const [fname, id, type, rule] of fields) t.add(new Field(fname, id, type, rule ?? 'optional'));
  for (const [oname, members] of Object.entries(oneofs)) t.add(new OneOf(oname, members));
  return t;
}

/** AttributeProto.AttributeType. */
export const ATTRIBUTE_TYPES = {
  UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8,
  TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14,
} as const;

function buildRoot(): protobuf.Root {
  const root = new Root();
  const onnx = root.define('onnx');

  onnx.add(message('StringStringEntryProto', [['key', 1, 'string'], ['value', 2, 'string']]));
  onnx.add(message('OperatorSetIdProto', [['domain', 1, 'string'], ['version', 2, 'int64']]));

  const tensor = message('TensorProto', [
    ['dims', 1, 'int64', 'repeated'],
    ['data_type', 2, 'int32'],
    ['segment', 3, 'Segment'],
    ['float_data', 4, 'float', 'repeated'],
    ['int32_data', 5, 'int32', 'repeated'],
    ['string_data', 6, 'bytes', 'repeated'],
    ['int64_data', 7, 'int64', 'repeated'],
    ['name', 8, 'string'],
    ['raw_data', 9, 'bytes'],
    ['double_data', 10, 'double', 'repeated'],
    ['uint64_data', 11, 'uint64', 'repeated'],
    ['doc_string', 12, 'string'],
    ['external_data', 13, 'StringStringEntryProto', 'repeated'],
    ['data_location', 14, 'DataLocation'],
    ['metadata_props', 16, 'StringStringEntryProto', 'repeated'],
  ]);
  tensor.add(message('Segment', [['begin', 1, 'int64'], ['end', 2, 'int64']]));
  tensor.add(new Enum('DataLocation', { DEFAULT: 0, EXTERNAL: 1 }));
  onnx.add(tensor);

  onnx.add(message('SparseTensorProto', [
    ['values', 1, 'TensorProto'], ['indices', 2, 'TensorProto'], ['dims', 3, 'int64', 'repeated'],
  ]));

  const shape = message('TensorShapeProto', [['dim', 1, 'Dimension', 'repeated']]);
  shape.add(message('Dimension', [['dim_value', 1, 'int64'], ['dim_param', 2, 'string'], ['denotation', 3, 'string']], { value: ['dim_value', 'dim_param'] }));
  onnx.add(shape);

  const typeProto = message('TypeProto', [
    ['tensor_type', 1, 'Tensor'],
    ['sequence_type', 4, 'Sequence'],
    ['map_type', 5, 'Map'],
    ['denotation', 6, 'string'],
    ['sparse_tensor_type', 8, 'SparseTensor'],
    ['optional_type', 9, 'Optional'],
  ], { value: ['tensor_type', 'sequence_type', 'map_type', 'sparse_tensor_type', 'optional_type'] });
  typeProto.add(message('Tensor', [['elem_type', 1, 'int32'], ['shape', 2, 'TensorShapeProto']]));
  typeProto.add(message('Sequence', [['elem_type', 1, 'TypeProto']]));
  typeProto.add(message('Map', [['key_type', 1, 'int32'], ['value_type', 2, 'TypeProto']]));
  typeProto.add(message('Optional', [['elem_type', 1, 'TypeProto']]));
  typeProto.add(message('SparseTensor', [['elem_type', 1, 'int32'], ['shape', 2, 'TensorShapeProto']]));
  onnx.add(typeProto);

  onnx.add(message('ValueInfoProto', [
    ['name', 1, 'string'], ['type', 2, 'TypeProto'], ['doc_string', 3, 'string'],
    ['metadata_props', 4, 'StringStringEntryProto', 'repeated'],
  ]));

  const attribute = message('AttributeProto', [
    ['name', 1, 'string'],
    ['f', 2, 'float'],
    ['i', 3, 'int64'],
    ['s', 4, 'bytes'],
    ['t', 5, 'TensorProto'],
    ['g', 6, 'GraphProto'],
    ['floats', 7, 'float', 'repeated'],
    ['ints', 8, 'int64', 'repeated'],
    ['strings', 9, 'bytes', 'repeated'],
    ['tensors', 10, 'TensorProto', 'repeated'],
    ['graphs', 11, 'GraphProto', 'repeated'],
    ['doc_string', 13, 'string'],
    ['tp', 14, 'TypeProto'],
    ['type_protos', 15, 'TypeProto', 'repeated'],
    ['type', 20, 'AttributeType'],
    ['ref_attr_name', 21, 'string'],
    ['sparse_tensor', 22, 'SparseTensorProto'],
    ['sparse_tensors', 23, 'SparseTensorProto', 'repeated'],
  ]);
  attribute.add(new Enum('AttributeType', { ...ATTRIBUTE_TYPES }));
  onnx.add(attribute);

  onnx.add(message('NodeProto', [
    ['input', 1, 'string', 'repeated'],
    ['output', 2, 'string', 'repeated'],
    ['name', 3, 'string'],
    ['op_type', 4, 'string'],
    ['attribute', 5, 'AttributeProto', 'repeated'],
    ['doc_string', 6, 'string'],
    ['domain', 7, 'string'],
    ['overload', 8, 'string'],
    ['metadata_props', 9, 'StringStringEntryProto', 'repeated'],
  ]));

  onnx.add(message('GraphProto', [
    ['node', 1, 'NodeProto', 'repeated'],
    ['name', 2, 'string'],
    ['initializer', 5, 'TensorProto', 'repeated'],
    ['doc_string', 10, 'string'],
    ['input', 11, 'ValueInfoProto', 'repeated'],
    ['output', 12, 'ValueInfoProto', 'repeated'],
    ['value_info', 13, 'ValueInfoProto', 'repeated'],
    ['sparse_initializer', 15, 'SparseTensorProto', 'repeated'],
    ['metadata_props', 16, 'StringStringEntryProto', 'repeated'],
  ]));

  onnx.add(message('FunctionProto', [
    ['name', 1, 'string'],
    ['input', 4, 'string', 'repeated'],
    ['output', 5, 'string', 'repeated'],
    ['attribute', 6, 'string', 'repeated'],
    ['node', 7, 'NodeProto', 'repeated'],
    ['doc_string', 8, 'string'],
    ['opset_import', 9, 'OperatorSetIdProto', 'repeated'],
    ['domain', 10, 'string'],
    ['attribute_proto', 11, 'AttributeProto', 'repeated'],
    ['value_info', 12, 'ValueInfoProto', 'repeated'],
    ['overload', 13, 'string'],
  ]));

  onnx.add(message('ModelProto', [
    ['ir_version', 1, 'int64'],
    ['producer_name', 2, 'string'],
    ['producer_version', 3, 'string'],
    ['domain', 4, 'string'],
    ['model_version', 5, 'int64'],
    ['doc_string', 6, 'string'],
    ['graph', 7, 'GraphProto'],
    ['opset_import', 8, 'OperatorSetIdProto', 'repeated'],
    ['metadata_props', 14, 'StringStringEntryProto', 'repeated'],
    ['functions', 25, 'FunctionProto', 'repeated'],
  ]));

  root.resolveAll();
  return root;
}

export const onnxRoot = buildRoot();
export const ModelProtoType = onnxRoot.lookupType('onnx.ModelProto');
export const TensorProtoType = onnxRoot.lookupType('onnx.TensorProto');
export const GraphProtoType = onnxRoot.lookupType('onnx.GraphProto');
export const NodeProtoType = onnxRoot.lookupType('onnx.NodeProto');
export const AttributeProtoType = onnxRoot.lookupType('onnx.AttributeProto');
