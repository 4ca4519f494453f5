import React, { useState } from 'react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { SchemaForm } from './SchemaForm';
import { initialValues, schemaToFields, validateForm, type RawValues } from './schemaForm';

const fields = schemaToFields({
  type: 'object',
  required: ['mps'],
  properties: {
    mps: { type: 'number', minimum: 0, maximum: 3, description: 'Belt speed' },
    mode: { type: 'string', enum: ['soft', 'hard'] },
    hold: { type: 'boolean' },
    label: { type: 'string', maxLength: 8 },
  },
});

function Harness({ onParams }: { onParams: (p: Record<string, unknown>) => void }) {
  const [values, setValues] = useState<RawValues>(initialValues(fields));
  const result = validateForm(fields, values);
  onParams(result.params);
  return (
    <form>
      <SchemaForm fields={fields} values={values} onChange={setValues} errors={result.errors} showErrors />
      <button type="submit">Send</button>
    </form>
  );
}

describe('SchemaForm', () => {
  it('labels every input and marks the required one', () => {
    render(<Harness onParams={() => {}} />);
    expect(screen.getByLabelText(/^Mps/)).toBeRequired();
    expect(screen.getByLabelText(/^Mode/)).toBeInTheDocument();
    expect(screen.getByLabelText(/^Hold/)).toBeInTheDocument();
    expect(screen.getByLabelText(/^Label/)).toHaveAttribute('maxlength', '8');
    expect(screen.getByText('Belt speed (≥ 0, ≤ 3)')).toBeInTheDocument();
  });

  it('is operable with the keyboard alone, in field order', async () => {
    const user = userEvent.setup();
    let params: Record<string, unknown> = {};
    render(<Harness onParams={(p) => (params = p)} />);
    await user.tab();
    expect(screen.getByLabelText(/^Mps/)).toHaveFocus();
    await user.keyboard('2.5');
    await user.tab();
    expect(screen.getByLabelText(/^Mode/)).toHaveFocus();
    await user.keyboard('{ArrowDown}{ArrowDown}{Enter}');
    await user.tab();
    expect(screen.getByLabelText(/^Hold/)).toHaveFocus();
    await user.keyboard(' ');
    await user.tab();
    expect(screen.getByLabelText(/^Label/)).toHaveFocus();
    await user.keyboard('east');
    await user.tab();
    expect(screen.getByRole('button', { name: 'Send' })).toHaveFocus();
    expect(params).toEqual({ mps: 2.5, mode: 'hard', hold: true, label: 'east' });
  });

  it('shows the validation message under the field and flags it invalid', async () => {
    render(<Harness onParams={() => {}} />);
    await userEvent.type(screen.getByLabelText(/^Mps/), '9');
    expect(screen.getByText('Mps must be at most 3')).toBeInTheDocument();
    expect(screen.getByLabelText(/^Mps/)).toHaveAttribute('aria-invalid', 'true');
  });
});
