import { useMemo } from 'preact/hooks';
import { encode } from 'uqr';

/**
 * `value` as a QR code: an SVG element with one path of dark modules, built as elements rather than parsed
 * markup, so it needs neither inline styles nor `innerHTML` under the app's Content-Security-Policy. The
 * border of 4 modules is the quiet zone ISO/IEC 18004 asks for: scanners find the code by it.
 */
export function QrCode({ value, label }: { value: string; label: string }) {
  const { size, path } = useMemo(() => {
    const qr = encode(value, { ecc: 'M', border: 4 });
    const dark = qr.data.flatMap((row, y) => row.flatMap((on, x) => (on ? [`M${x} ${y}h1v1h-1z`] : [])));
    return { size: qr.size, path: dark.join('') };
  }, [value]);
  return (
    <svg class="qr-code" viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label}>
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
