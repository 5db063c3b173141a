// Registers every ONNX op importer, one file per family. A new family adds one line.
import './activation.js';
import './attention.js';
import './control.js';
import './conv.js';
import './elementwise.js';
import './encoding.js';
import './layout.js';
import './loss.js';
import './matmul.js';
import './movement.js';
import './normalization.js';
import './quantize.js';
import './recurrent.js';
import './reduce.js';
import './resize.js';
import './rotary.js';
import './shape.js';
