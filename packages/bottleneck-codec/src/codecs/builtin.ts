import { registerCodec } from './codec.js';
import { jpegCodec } from './jpeg-codec.js';
import { pngCodec } from './png-codec.js';
import { rawCodec } from './raw-codec.js';

// The built-in codecs, registered once when the package loads. Ids are never reused.
registerCodec(jpegCodec);
registerCodec(pngCodec);
registerCodec(rawCodec);
