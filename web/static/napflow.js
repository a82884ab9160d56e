// napflow's one script: GOV.UK Frontend's enhancements. A module script, so it runs only in
// browsers that support ES modules, which GOV.UK Frontend needs; every page works without it.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
