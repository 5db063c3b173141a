// The kiln version written into every plan header.
export const KILN_VERSION = '0.1.0';
