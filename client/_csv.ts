// The one CSV implementation of the project (RFC 4180, comma): the Bulk API 2.0 client and the
// fake org import it from here. The writer and the reader live in their own files.
export * from "./_csv_format.ts";
export * from "./_csv_record_encoder.ts";
export * from "./_csv_writer.ts";
export * from "./_csv_reader.ts";
