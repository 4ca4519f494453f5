export * from './schemaForm';
export { SchemaForm, type SchemaFormProps } from './SchemaForm';
