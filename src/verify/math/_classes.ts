/**
 * Labelled pairs for the answer forms and equivalence classes of issue 14, one group per class, each with
 * positives and near-miss negatives: [gold, response answer, expected verdict, optional problem text].
 * Used by `classes_test.ts` and by the determinism test.
 *
 * @module
 */
import type { Row } from "./_pairs.ts";

const POLYNOMIALS: Row[] = [
  ["x^2-5x+6", "(x-2)(x-3)", true],
  ["4x^2-1", "(2x+1)(2x-1)", true],
  ["x^3+8", "(x+2)(x^2-2x+4)", true],
  ["n(n+1)(2n+1)", "2n^3+3n^2+n", true],
  ["2x(x-3)(x+3)", "2x^3-18x", true],
  ["(a-b)^2", "a^2-2ab+b^2", true],
  // Expanded around a large root: the terms cancel to 1e-9 of their size at some sample points.
  ["(x-12)^4", "x^4-48x^3+864x^2-6912x+20736", true],
  ["(x-12)^4", "x^4-48x^3+864x^2-6912x+20737", false],
  ["(x-2)(x-3)", "(x+2)(x+3)", false],
  ["x^2-5x+6", "x^2-5x-6", false],
  ["(a-b)^2", "a^2-b^2", false],
  ["n(n+1)(2n+1)", "n(n+1)(n+2)", false],
];

const TERM_ORDER: Row[] = [
  ["3x^2-2x+7", "7-2x+3x^2", true],
  ["a+b+c", "c+a+b", true],
  ["-5+2\\sqrt{7}", "2\\sqrt7-5", true],
  ["xy^2+x^2y", "x^2y+xy^2", true],
  ["2+3i", "3i+2", true],
  ["x = 2, y = 3", "y = 3, x = 2", true],
  ["-5+2\\sqrt{7}", "5-2\\sqrt7", false],
  ["xy^2+x^2y", "x^2y^2+xy", false],
  ["2+3i", "3+2i", false],
  ["x = 2, y = 3", "x = 3, y = 2", false],
];

const ABSOLUTE_VALUES: Row[] = [
  ["|3-x|", "|x-3|", true],
  ["\\left|2x\\right|", "2|x|", true],
  ["|x|", "\\sqrt{x^2}", true],
  ["|x^2-4|", "|x-2||x+2|", true],
  ["\\frac{x^2}{|x|}", "|x|", true],
  ["|a||b|", "|ab|", true],
  ["\\lvert y \\rvert", "|y|", true],
  ["|x|+1", "x+1", false],
  ["|x|^3", "x^3", false],
  ["\\frac{x^2}{|x|}", "x", false],
  ["|a||b|", "ab", false],
  ["\\vert t\\vert", "t", false],
  ["|x+9|", "x+9", false],
];

const RECIPROCAL_TRIGONOMETRY: Row[] = [
  ["\\frac{1}{\\sin^2 x}", "\\csc^2 x", true],
  ["\\sec\\theta\\tan\\theta", "\\frac{\\sin\\theta}{\\cos^2\\theta}", true],
  ["\\cot x", "\\frac{1}{\\tan x}", true],
  ["\\csc x - \\sin x", "\\cos x \\cot x", true],
  ["1", "\\sec^2 x - \\tan^2 x", true],
  ["\\cos^{-1}(x)", "\\arccos x", true],
  ["\\tan^{-1} x", "\\arctan(x)", true],
  ["2", "\\csc\\frac{\\pi}{6}", true],
  ["\\frac{\\pi}{3}", "\\operatorname{arcsec}(2)", true],
  ["\\cot x", "\\frac{\\sin x}{\\cos x}", false],
  ["\\sec x", "\\cos^{-1} x", false],
  ["\\csc^2 x", "1+\\tan^2 x", false],
  ["\\frac{\\pi}{6}", "\\operatorname{arcsec}(2)", false],
];

const SCIENTIFIC_NOTATION: Row[] = [
  ["6.02\\times10^{23}", "602000000000000000000000", true],
  ["0.000071", "7.1\\times10^{-5}", true],
  ["7.1\\times 10^{-5}", "7.1e-5", true],
  ["7.1 \\times 10^{-5}", "7.1E-05", true],
  ["3.2\\cdot10^{3}", "3200", true],
  ["1.2\\times10^{6}", "12 \\times 10^{5}", true],
  ["4500", "4.5 x 10^{3}", true],
  ["2\\times 10^{-4}", "2 \\times 10^-4", true],
  ["602000000000000000000000", "6.02e23", true],
  ["10^{23}", "10^23", true],
  ["2^{10}", "2^11", false],
  ["5\\times10^{-3}", "0.05", false],
  ["1.2\\times10^{6}", "1.2\\times10^{5}", false],
  ["7.1\\times 10^{-5}", "7.1e5", false],
  ["2\\times 10^{-4}", "2 \\times 10^4", false],
];

const PLUS_MINUS: Row[] = [
  ["\\pm\\sqrt{7}", "\\sqrt7, -\\sqrt7", true],
  ["2\\pm\\sqrt{3}", "2+\\sqrt3 \\text{ or } 2-\\sqrt3", true],
  ["x=-1\\pm 2i", "-1+2i, -1-2i", true],
  ["\\frac{3\\pm\\sqrt{17}}{4}", "\\frac{3+\\sqrt{17}}{4}, \\frac{3-\\sqrt{17}}{4}", true],
  ["4, -4", "\\pm 4", true],
  ["(\\pm 2, 0)", "(2, 0), (-2, 0)", true],
  ["x_{1,2}=1\\pm\\sqrt{6}", "1+\\sqrt6, 1-\\sqrt6", true],
  ["\\frac{3\\pm\\sqrt{17}}{4}", "\\frac{3+\\sqrt{17}}{4}", false],
  ["\\pm 5", "5", false],
  ["(\\pm 2, 0)", "(2, 0)", false],
  ["\\pm 2", "2, -2, 0", false],
  ["x=-1\\pm 2i", "1+2i, 1-2i", false],
];

const INEQUALITIES: Row[] = [
  ["[-3, 4]", "-3 \\leq x \\leq 4", true],
  ["(-3, 4]", "-3 < x \\leq 4", true],
  ["x < 7", "(-\\infty, 7)", true],
  ["x \\ge 0", "[0, \\infty)", true],
  ["(-\\infty, -2) \\cup (5, \\infty)", "x < -2 \\text{ or } x > 5", true],
  ["(-\\infty,-2]\\cup[5,\\infty)", "x\\le -2 \\text{ or } x \\ge 5", true],
  ["(-\\infty, -2) \\cup (5, \\infty)", "x<-2, x>5", true],
  ["(1, 3)", "x > 1 \\text{ and } x < 3", true],
  ["x \\in (0, 1)", "0 < x < 1", true],
  ["t > \\frac{1}{2}", "(\\frac12, \\infty)", true],
  ["[2,\\infty)", "x \\geqslant 2", true],
  ["[2,\\infty)", "x ⩾ 2", true],
  ["(2,\\infty)", "\\{x \\mid x > 2\\}", true],
  ["(2,\\infty)", "\\{x : x \\geq 2\\}", false],
  ["(-3, 4]", "-3 \\leq x < 4", false],
  ["x\\ge 0", "(0,\\infty)", false],
  ["(-\\infty,-2]\\cup[5,\\infty)", "x < -2 \\text{ or } x > 5", false],
  ["(1,3)", "x>1 \\text{ and } x<4", false],
  ["(-\\infty, -2) \\cup (5, \\infty)", "-2 < x < 5", false],
];

const UNIONS_AND_REALS: Row[] = [
  ["\\mathbb{R}", "(-\\infty,+\\infty)", true],
  ["(-\\infty, \\infty)", "\\text{all reals}", true],
  ["(-\\infty,\\infty)", "\\R", true],
  ["(-\\infty,\\infty)", "x \\in \\mathbb{R}", true],
  ["(-\\infty,1)\\cup(1,\\infty)", "\\mathbb{R} - \\{1\\}", true],
  ["(-\\infty,1)\\cup(1,\\infty)", "x \\ne 1", true],
  ["(-\\infty,-1)\\cup(-1,2)\\cup(2,\\infty)", "\\mathbb{R}\\setminus\\{-1,2\\}", true],
  ["(-\\infty,-1)\\cup(-1,2)\\cup(2,\\infty)", "x \\neq -1, x \\neq 2", true],
  ["(-\\infty,0)\\cup(0,\\infty)", "\\text{all real numbers except } 0", true],
  ["[1,4]", "[1,2]\\cup[2,4]", true],
  ["(0,5)", "(0,2)\\cup[2,5)", true],
  ["(-\\infty,3]", "(-\\infty,1)\\cup[1,3]", true],
  ["(0,2)\\cup(3,4)", "(3,4)\\cup(0,2)", true],
  ["(-\\infty,-1]\\cup[3,\\infty)", "(-\\infty,-1] ∪ [3,\\infty)", true],
  ["(-\\infty,-1]\\cup[3,\\infty)", "(-\\infty,-1] U [3,\\infty)", true],
  ["(-\\infty,2)\\cup(2,\\infty)", "\\{x \\in \\mathbb{R} \\mid x \\neq 2\\}", true],
  ["(-\\infty,\\infty)", "\\text{any real number}", true],
  ["(-\\infty,0)\\cup(0,\\infty)", "\\text{all real numbers except } x = 0", true],
  ["(-\\infty,-1]\\cup[3,\\infty)", "(-\\infty,-1] U (3,\\infty)", false],
  ["(-\\infty, \\infty)", "[0, \\infty)", false],
  ["(-\\infty,1)\\cup(1,\\infty)", "x \\neq -1", false],
  ["(-\\infty,-1)\\cup(-1,2)\\cup(2,\\infty)", "\\mathbb{R}\\setminus\\{2\\}", false],
  ["[1,4]", "[1,2)\\cup(2,4]", false],
  ["(0,5)", "(0,2)\\cup(2,5)", false],
  ["\\mathbb{R}", "\\text{all real numbers except } 0", false],
];

const INFINITY: Row[] = [
  ["(3,\\infty)", "(3,+\\infty)", true],
  ["[-1,\\infty)", "[-1, +\\infty)", true],
  ["+\\infty", "\\infty", true],
  ["\\infty", "∞", true],
  ["(2, \\infty)", "(2, ∞)", true],
  ["(-\\infty, 0]", "(-∞, 0]", true],
  ["[1,\\infty)", "[1, \\text{infinity})", true],
  ["-\\infty", "\\text{negative infinity}", true],
  ["-\\infty", "\\text{infinity}", false],
  ["+\\infty", "-\\infty", false],
  ["(2,+\\infty)", "[2,+\\infty)", false],
  ["(3,+\\infty)", "(3, 10^{10})", false],
];

const EMPTY_SET: Row[] = [
  ["\\emptyset", "\\text{No solutions}", true],
  ["\\emptyset", "\\text{none}", true],
  ["\\varnothing", "\\{\\}", true],
  ["\\emptyset", "\\text{DNE}", true],
  ["\\text{does not exist}", "\\emptyset", true],
  ["\\emptyset", "\\text{there are no real roots}", true],
  ["\\emptyset", "\\text{The equation has no solution}", true],
  ["\\emptyset", "\\text{no values of } x", true],
  ["\\emptyset", "\\text{no}", false],
  ["\\emptyset", "\\{\\emptyset\\}", false],
  ["\\emptyset", "\\text{infinitely many solutions}", false],
  ["\\emptyset", "\\mathbb{R}", false],
  ["\\emptyset", "0", false],
  ["\\emptyset", "\\{0\\}", false],
  ["\\text{no solution}", "\\text{one solution}", false],
];

const COLUMN = "\\begin{pmatrix} 3 \\\\ 0 \\\\ -2 \\end{pmatrix}";
const POINT_PROBLEM = "Find the point where the two lines meet. Enter your answer as an ordered pair.";

const VECTORS_AND_MATRICES: Row[] = [
  [COLUMN, "\\begin{bmatrix} 3 \\\\ 0 \\\\ -2 \\end{bmatrix}", true],
  [COLUMN, "\\left\\langle 3, 0, -2 \\right\\rangle", true],
  [COLUMN, "(3,0,-2)", true],
  [COLUMN, "\\begin{pmatrix} 3 & 0 & -2 \\end{pmatrix}", true],
  [
    "\\begin{pmatrix} 2 & 0 \\\\ 0 & 3\\end{pmatrix}",
    "\\begin{bmatrix} 2 & 0 \\\\ 0 & 3\\end{bmatrix}",
    true,
  ],
  [
    "\\begin{pmatrix} \\frac{1}{3} \\\\ \\frac{2}{3} \\end{pmatrix}",
    "\\begin{pmatrix} 1/3 \\\\ 2/3 \\end{pmatrix}",
    true,
  ],
  ["(1,2)", "[1,2]", true, POINT_PROBLEM],
  ["(1,2)", "\\langle 1,2\\rangle", true],
  ["\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "<1, 2>", true],
  ["\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "(1, 2)^T", true],
  ["\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\vec{v} = \\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", true],
  ["\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{smallmatrix} 1 \\\\ 2 \\end{smallmatrix}", true],
  ["(1+r)^t", "(1+r)^T", false],
  ["(1,4)", "[1,4)", false, POINT_PROBLEM],
  [COLUMN, "(3,-2,0)", false],
  [COLUMN, "(3,0)", false],
  [
    "\\begin{pmatrix} 2 & 1 \\\\ 0 & 3\\end{pmatrix}",
    "\\begin{pmatrix} 2 & 0 \\\\ 1 & 3\\end{pmatrix}",
    false,
  ],
  ["(1,2)", "[1,2]", false],
  ["(1,2)", "(2,1)", false, POINT_PROBLEM],
  ["\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 1 \\\\ 2 \\\\ 0\\end{pmatrix}", false],
];

const COMPLEX_DECIMALS: Row[] = [
  ["\\frac{1}{2}-\\frac{3}{2}i", "0.5-1.5i", true],
  ["-\\frac{7}{25}-\\frac{24}{25}i", "-0.28-0.96i", true],
  ["\\frac{1}{8}+\\frac{5}{8}i", "0.125 + 0.625 i", true],
  ["3.5i", "\\frac{7}{2}i", true],
  ["1.25 - 0.5i", "\\frac{5 - 2i}{4}", true],
  ["\\frac{1}{2}-\\frac{3}{2}i", "0.5+1.5i", false],
  ["\\frac{2}{3}i", "0.67i", false],
  ["1.25-0.5i", "\\frac{5-2i}{5}", false],
  ["\\frac{1}{8}+\\frac{5}{8}i", "0.125 + 0.62 i", false],
];

const REPEATING_DECIMALS: Row[] = [
  ["\\frac{5}{9}", "0.\\overline{5}", true],
  ["\\frac{7}{12}", "0.58\\overline{3}", true],
  ["\\frac{1}{11}", "0.\\overline{09}", true],
  ["\\frac{5}{9}", "0.555\\ldots", true],
  ["\\frac{1}{7}", "0.142857142857\\ldots", true],
  ["\\frac{25}{11}", "2.\\overline{27}", true],
  ["\\frac{1}{3}", "0.\\dot{3}", true],
  ["0.\\overline{27}", "\\frac{3}{11}", true],
  ["\\frac{1}{11}", "0.\\overline{9}", false],
  ["\\frac{5}{9}", "0.555", false],
  ["\\frac{1}{3}", "0.33\\ldots", false],
  ["0.\\overline{27}", "\\frac{27}{100}", false],
  ["\\frac{7}{12}", "0.5\\overline{83}", false],
];

const CHOICES: Row[] = [
  ["\\text{(D)}", "\\textbf{(D)}", true],
  ["\\text{(A)}", "(A) \\frac{1}{2}", true],
  ["\\text{(A)}", "\\textbf{(A) }\\frac12", true],
  ["\\text{(A)}", "A)", true],
  ["\\text{(C)}", "\\mathbf{C}", true],
  ["\\text{(C)}", "Option C", true],
  ["\\text{(B)}", "[B]", true],
  ["\\text{(B)}", "(b)", true],
  ["\\text{(B)}", "(c)", false],
  ["\\frac{1}{2}", "(A) \\frac{1}{2}", true],
  ["\\frac{1}{2}", "(A) \\frac{1}{3}", false],
  ["\\text{(B)}", "(D) 12", false],
  ["\\text{(C)}", "Option D", false],
  ["\\text{(A)}", "\\textbf{(B) }\\frac12", false],
];

const THOUSANDS_IN_BRACES: Row[] = [
  ["25000", "25{,}000", true],
  ["1234567", "1{,}234{,}567", true],
  ["(5000, 3)", "(5{,}000, 3)", true],
  ["\\$3{,}450", "3450", true],
  ["10{,}000.25", "10000.25", true],
  ["1\\,000\\,000", "1000000", true],
  ["2{,}500 \\text{ dollars}", "2500", true],
  ["1000000", "1 000 000", true],
  ["1000000", "1 000 00", false],
  ["\\{1{,}000, 2\\}", "\\{2, 1000\\}", true],
  ["3{,}450", "345", false],
  ["1000", "1{,}0000", false],
  ["(5000, 3)", "(5, 000, 3)", false],
  ["10{,}000.25", "10000.5", false],
];

const UNIT_WORDS: Row[] = [
  ["12", "12 \\text{ centimeters}", true],
  ["250", "250\\text{ milliliters}", true],
  ["45", "45 \\text{ km/h}", true],
  ["9.8", "9.8 \\text{ m/s}^2", true],
  ["30", "30\\text{ seconds}", true],
  ["7", "7 \\text{ feet per second}", true],
  ["2", "2 \\text{ tablespoons}", true],
  ["100", "100 \\text{ square meters}", true],
  ["12", "12\\mbox{ in}", true],
  ["12", "12 \\text{ m}", true],
  ["60 \\text{ mph}", "60", true],
  ["5", "5 hours", true],
  ["5", "5 \\frac{\\text{km}}{\\text{h}}", true],
  ["5", "5 \\text{ km}/\\text{h}", true],
  ["8", "8 \\text{ apples}", true, "Ann picks 3 apples and then 5 more apples."],
  ["12", "120 \\text{ centimeters}", false],
  ["12", "12m", false],
  ["5", "5 \\text{ hours and } 30 \\text{ minutes}", false],
  ["30", "3 \\text{ seconds}", false],
];

/** Expressions with a variable that must be an integer: it is sampled at integers. */
const INTEGER_VARIABLES: Row[] = [
  ["\\frac{n(n+1)}{2}", "\\sum_{k=1}^{n} k", true],
  ["n!", "n\\cdot(n-1)!", true],
  ["\\binom{n}{2}", "\\frac{n(n-1)}{2}", true],
  ["\\prod_{k=1}^{n} 2", "2^n", true],
  ["\\frac{n(n+1)}{2}", "\\sum_{k=1}^{n} k^2", false],
  ["\\binom{n}{2}", "\\frac{n(n+1)}{2}", false],
  ["n!", "n^n", false],
];

/** The labelled pairs of each answer form and equivalence class. */
export const CLASS_GROUPS: [string, Row[]][] = [
  ["expanded and factored polynomials", POLYNOMIALS],
  ["terms in another order", TERM_ORDER],
  ["absolute values", ABSOLUTE_VALUES],
  ["reciprocal trigonometric identities", RECIPROCAL_TRIGONOMETRY],
  ["scientific notation", SCIENTIFIC_NOTATION],
  ["\\pm against both roots", PLUS_MINUS],
  ["inequalities against intervals", INEQUALITIES],
  ["interval unions and the real line", UNIONS_AND_REALS],
  ["+\\infty", INFINITY],
  ["the empty set", EMPTY_SET],
  ["vectors and matrices", VECTORS_AND_MATRICES],
  ["complex numbers in decimals", COMPLEX_DECIMALS],
  ["repeating decimals", REPEATING_DECIMALS],
  ["multiple-choice letters", CHOICES],
  ["thousands separators in braces", THOUSANDS_IN_BRACES],
  ["units written as words", UNIT_WORDS],
  ["sums and factorials with a variable bound", INTEGER_VARIABLES],
];
