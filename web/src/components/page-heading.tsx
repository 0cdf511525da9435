/**
 * A page's h1, which takes the focus when the page is navigated to (a screen reader then reads the new
 * page from its title, and keyboard users continue from there) and names the document.
 */
import { type ReactNode, useEffect, useRef } from 'react';

let firstPage = true;

export function PageHeading({ children, title }: { children: ReactNode; title?: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  const text = title ?? (typeof children === 'string' ? children : '');
  useEffect(() => {
    if (text) document.title = `${text} · Imputation console`;
  }, [text]);
  useEffect(() => {
    // The first page after loading keeps the browser's own focus (top of the document).
    if (firstPage) {
      firstPage = false;
      return;
    }
    ref.current?.focus();
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1} className="page-heading">
      {children}
    </h1>
  );
}
