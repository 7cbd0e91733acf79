/**
 * The bytes as a Node Buffer that is a view into a larger buffer, as `fs.readFileSync`
 * and downloads often return: code that assumes `bytes.buffer` starts at the data fails.
 */
export function asBufferView(bytes: Uint8Array): Buffer {
  const backing = Buffer.alloc(bytes.length + 37, 0xee);
  backing.set(bytes, 17);
  return backing.subarray(17, 17 + bytes.length);
}
