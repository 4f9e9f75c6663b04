import { linkClick } from '../router';

export function Link(props: React.AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  return <a {...props} onClick={linkClick} />;
}
