// CSV (RFC 4180) to records: the header row names the fields; quoted fields may hold the
// delimiter, doubled quotes and line breaks. `\t` as delimiter reads TSV.

/** Rows of fields; a trailing line break does not make an empty last row. */
export function parseCsvRows(text: string, delimiter = ','): string[][] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRow = () => {
    row.push(field);
    rows.push(row);
    row = [];
    field = '';
  };
  while (i < src.length) {
    const c = src[i];
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      endRow();
      if (c === '\r' && src[i + 1] === '\n') i++;
    } else field += c;
    i++;
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

/** Records keyed by the header row; `where` names the source in errors. */
export function parseCsv(text: string, where: string, delimiter = ','): Record<string, string>[] {
  let rows: string[][];
  try {
    rows = parseCsvRows(text, delimiter);
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}; check the file's quotes`);
  }
  if (rows.length === 0) return [];
  const [header, ...body] = rows;
  return body
    .filter((r) => !(r.length === 1 && r[0] === ''))
    .map((r, n) => {
      if (r.length !== header.length) {
        throw new Error(
          `${where}: row ${n + 2} has ${r.length} fields but the header has ${header.length}; quote fields that contain "${delimiter}"`,
        );
      }
      return Object.fromEntries(header.map((h, k) => [h, r[k]]));
    });
}
